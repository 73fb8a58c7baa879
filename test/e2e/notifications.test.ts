/**
 * Toasts for what changes while the researcher looks elsewhere, in real
 * Chromium against the real browser host: a bwrap workspace whose TTL runs
 * out, a podman workspace whose container is removed outside Benchtop, a
 * SLURM-placed one whose job is cancelled with scancel, long
 * commands run through the CLI (the one that ends well, the one that fails,
 * not the short one; each once), a stop asked elsewhere — and none for a stop
 * clicked in this window. Toasts lead to the workspace or the journal entry,
 * go by themselves unless hovered or focused, and do not come back after a reload.
 * Screenshots (1280×720) land in test-artifacts/screenshots.
 */
import { execa } from 'execa';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BenchtopClient } from '../../src-preload/client';
import type { CreateWorkspaceInput, Workspace } from '../../src-preload/contract';
import { axeViolations } from '../helpers/axe';
import { createBwrapWorkspaceInUi, launchBrowser, screenshot } from '../helpers/browser';
import { cli, cleanup, tempDir } from '../helpers/cli';
import { FIXTURE_IMAGE } from '../helpers/fixtures';
import { describeWith, REQUIRED, unavailable } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';

const itPodman = unavailable('podman') === null || REQUIRED ? it : it.skip;
const itSlurm = unavailable('slurm') === null || REQUIRED ? it : it.skip;

describeWith('chromium', 'notifications, in a real browser', () => {
  let home: string;
  let project: string;
  let serve: ServeProcess;
  let context: BrowserContext;
  let page: Page;
  let client: BenchtopClient;
  let ttl: Workspace;

  const toastsOf = (wsId: string): Locator => page.locator(`[data-testid="toast"][data-workspace="${wsId}"]`);
  /** The researcher is on another page than the workspace's. */
  const lookElsewhere = async () => {
    await page.getByTestId('nav-backends').click();
    await page.waitForFunction(() => location.hash === '#/backends');
  };
  const create = (name: string, extra: Partial<CreateWorkspaceInput> = {}) => client.call('workspaces.create', { name, backend: 'bwrap', project, ...extra });

  beforeAll(async () => {
    home = tempDir('home');
    project = tempDir('proj');
    serve = await startServe(home);
    // The test's own connection stands for "elsewhere": the CLI, another window.
    ({ client } = await serve.connect());
    // The shortest TTL there is (60 s): made first, checked first.
    ttl = await create('nt-ttl', { ttlSec: 60 });
    ({ context, page } = await launchBrowser());
    await page.setViewportSize({ width: 1280, height: 720 });
    page.on('dialog', (d) => void d.accept());
    await page.goto(serve.url);
    await page.getByTestId('workspace-list').waitFor();
  });
  afterAll(async () => {
    await context?.close();
    for (const w of (await client?.call('workspaces.list', {}).catch(() => [])) ?? []) await client.call('workspaces.remove', { workspace: w.id }).catch(() => undefined);
    await serve?.stop();
    cleanup(home, project);
  });

  it('a workspace whose TTL runs out while the researcher is on another page: a toast names it and the reason; it opens the workspace', async () => {
    await lookElsewhere();
    const toast = toastsOf(ttl.id);
    const expiresMs = Date.parse(ttl.expiresAt ?? '');
    await toast.waitFor({ timeout: 90_000 });
    // Not before the TTL ran out, and soon after (the host looks every 2 s).
    expect(Date.now()).toBeGreaterThanOrEqual(expiresMs);
    expect(Date.now() - expiresMs).toBeLessThan(10_000);
    expect(await toast.getByTestId('toast-title').textContent()).toBe('nt-ttl expired');
    expect(await toast.getByTestId('toast-body').textContent()).toBe('TTL of 60 s elapsed');
    expect(await toast.getAttribute('data-kind')).toBe('workspace');
    // Said politely, in the live region that was there before it.
    expect(await page.locator('[role="status"][aria-live="polite"] [data-testid="toast"]').count()).toBe(1);
    expect(await page.locator('[role="alert"] [data-testid="toast"]').count()).toBe(0);
    await screenshot(page, '60-toast-ttl-expired');
    expect(await axeViolations(page)).toEqual([]);

    await toast.getByTestId('toast-open').click();
    await page.waitForFunction((id) => location.hash === `#/w/${id}/overview`, ttl.id);
    await page.getByTestId('workspace-title').filter({ hasText: 'nt-ttl' }).waitFor();
    expect(await page.locator('.page-head').getByTestId('state-badge').textContent()).toBe('expired');
    expect(await toast.count()).toBe(0);
  }, 120_000);

  it('a stop clicked in this window shows no toast; the same stop asked elsewhere does', async () => {
    await page.getByRole('link', { name: 'Workspaces', exact: true }).click();
    const own = await createBwrapWorkspaceInUi(page, client, 'nt-own', project);
    const other = await create('nt-other');
    const badge = page.locator('.page-head').getByTestId('state-badge');
    await badge.filter({ hasText: 'running' }).waitFor({ timeout: 20_000 });
    await page.locator('.page-head').getByRole('button', { name: 'Stop', exact: true }).click();
    await badge.filter({ hasText: 'stopped' }).waitFor({ timeout: 20_000 });
    expect((await client.call('workspaces.get', { workspace: own })).reason).toBe('stopped by web');

    // The control: the same change, with the same reason, asked by another connection.
    await lookElsewhere();
    await client.call('workspaces.stop', { workspace: other.id });
    const toast = toastsOf(other.id);
    await toast.waitFor({ timeout: 10_000 });
    expect(await toast.getByTestId('toast-title').textContent()).toBe('nt-other stopped');
    expect(await toast.getByTestId('toast-body').textContent()).toBe('stopped by web');
    // Events come in order, and the host has looked at the data folder since (every 500 ms): none came for ours.
    await page.waitForTimeout(3000);
    expect(await toastsOf(own).count()).toBe(0);
    // Focus on it holds it too (a keyboard user reading it), past the 8 s; Enter on the close button dismisses it.
    await toast.getByTestId('toast-close').focus();
    await page.waitForTimeout(9000);
    expect(await toast.count()).toBe(1);
    await page.keyboard.press('Enter');
    expect(await toast.count()).toBe(0);
  });

  itPodman('a podman workspace whose container is removed outside Benchtop: a toast says so', async () => {
    const ws = await create('nt-pod', { backend: 'podman', image: FIXTURE_IMAGE });
    expect(ws.state).toBe('running');
    await page.locator('[data-testid="ws-nav-item"]', { hasText: 'nt-pod' }).waitFor();
    await lookElsewhere();
    await execa('podman', ['rm', '--force', ws.runtime.containerName ?? `benchtop-${ws.id}`]);
    const toast = toastsOf(ws.id);
    await toast.waitFor({ timeout: 15_000 });
    expect(await toast.getByTestId('toast-title').textContent()).toBe('nt-pod stopped');
    expect(await toast.getByTestId('toast-body').textContent()).toMatch(/outside Benchtop/);
    await screenshot(page, '61-toast-podman-removed-outside');
  });

  itSlurm('a workspace in a SLURM allocation whose job is cancelled outside Benchtop (scancel): a toast says the job ended', async () => {
    const ws = await create('nt-slurm', { slurm: { partition: 'debug', time: '00:10:00' } });
    expect(ws.state).toBe('running');
    const jobId = ws.slurm?.jobId ?? '';
    expect(jobId).toMatch(/^\d+$/);
    await page.locator('[data-testid="ws-nav-item"]', { hasText: 'nt-slurm' }).waitFor();
    await lookElsewhere();
    await execa('scancel', [jobId]);
    const toast = toastsOf(ws.id);
    await toast.waitFor({ timeout: 20_000 });
    expect(await toast.getByTestId('toast-title').textContent()).toBe('nt-slurm stopped');
    expect(await toast.getByTestId('toast-body').textContent()).toMatch(new RegExp(`^SLURM job ${jobId} (ended|is gone)`));
    await screenshot(page, '64-toast-slurm-job-cancelled');
  }, 120_000);

  it('long commands run through the CLI: a toast when each ends (a failure as an alert), none for a short one; hovered it stays, else it goes; it opens the journal entry', async () => {
    const ws = await create('nt-cmd');
    await page.locator('[data-testid="ws-nav-item"]', { hasText: 'nt-cmd' }).waitFor();
    await lookElsewhere();
    const [ok, failed, short] = await Promise.all([
      cli(['exec', 'nt-cmd', '--json', '--', 'sleep', '10.37'], { home }),
      cli(['exec', 'nt-cmd', '--json', '-c', 'sleep 10.41; exit 3'], { home }),
      // Short, and ending close to the others: its toast, were there one, would still be on screen.
      cli(['exec', 'nt-cmd', '--json', '--', 'sleep', '6.53'], { home }),
    ]);
    expect([ok.exitCode, failed.exitCode, short.exitCode]).toEqual([0, 3, 0]);
    const seq = (JSON.parse(ok.stdout) as { seq: number }).seq;
    const failedSeq = (JSON.parse(failed.stdout) as { seq: number }).seq;
    const shortSeq = (JSON.parse(short.stdout) as { seq: number }).seq;
    // How long the journal says each ran (the process's own count differs by a few ms).
    const ran = async (s: number) => `${((await client.call('journal.get', { workspace: ws.id, seq: s })).durationMs / 1000).toFixed(1)} s`;

    const okToast = page.locator(`[data-testid="toast"][data-seq="${seq}"]`);
    const failedToast = page.locator(`[data-testid="toast"][data-seq="${failedSeq}"]`);
    await okToast.waitFor({ timeout: 10_000 });
    await failedToast.waitFor({ timeout: 10_000 });
    expect((await client.call('journal.get', { workspace: ws.id, seq: shortSeq })).durationMs).toBeLessThan(10_000);
    expect(await page.locator(`[data-testid="toast"][data-seq="${shortSeq}"]`).count()).toBe(0);
    // Held under the pointer from the start: it must outlast the other.
    await okToast.hover();
    expect(await okToast.getByTestId('toast-title').textContent()).toBe('nt-cmd: command finished (exit 0)');
    expect(await okToast.getByTestId('toast-body').textContent()).toBe(`sleep 10.37 · ${await ran(seq)}`);
    expect(await failedToast.getByTestId('toast-title').textContent()).toBe('nt-cmd: command failed (exit 3)');
    expect(await failedToast.getByTestId('toast-body').textContent()).toBe(`sleep 10.41; exit 3 · ${await ran(failedSeq)}`);
    expect(await page.locator(`[role="alert"] [data-seq="${failedSeq}"]`).count()).toBe(1);
    expect(await page.locator(`[role="status"] [data-seq="${seq}"]`).count()).toBe(1);
    await screenshot(page, '62-toasts-commands');
    // In the dark theme (the system's), too: the same colours' dark values, still readable.
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, '62-toasts-commands-dark');
    expect(await axeViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });

    // The one not hovered goes after ~8 s; the hovered one stays, and came once.
    await failedToast.waitFor({ state: 'detached', timeout: 12_000 });
    expect(await toastsOf(ws.id).count()).toBe(1);
    expect(await okToast.count()).toBe(1);

    await okToast.getByTestId('toast-open').click();
    await page.waitForFunction(([id, s]) => location.hash === `#/w/${id}/journal/${s}`, [ws.id, seq] as const);
    const detail = page.locator(`[data-testid="journal-detail"][data-seq="${seq}"]`);
    await detail.waitFor({ timeout: 10_000 });
    expect(await detail.textContent()).toContain('sleep 10.37');
    expect(await okToast.count()).toBe(0);
    await screenshot(page, '63-toast-opened-journal-entry');

    // A reconnect (reload) does not bring old news back.
    await page.reload();
    await page.getByTestId('workspace-title').filter({ hasText: 'nt-cmd' }).waitFor();
    await page.locator(`[data-testid="journal-detail"][data-seq="${seq}"]`).waitFor({ timeout: 10_000 });
    await page.waitForTimeout(2500);
    expect(await page.getByTestId('toast').count()).toBe(0);
  }, 90_000);
});
