/**
 * Disk use in the window, in real Chromium against the real browser host and
 * a bwrap workspace made with a disk quota in the create form: the browser
 * host measures after each command on its own, the page shows the use and a
 * notice from 90% of the quota on, and above it the command bar's next run is
 * refused with the reason. Screenshots land in test-artifacts/screenshots.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BenchtopClient } from '../../src-preload/client';
import { cleanup, tempDir } from '../helpers/cli';
import { axeViolations } from '../helpers/axe';
import { launchBrowser, screenshot } from '../helpers/browser';
import { describeWith } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';

describeWith('chromium', 'disk use and quota, in a real browser', () => {
  let home: string;
  let project: string;
  let serve: ServeProcess;
  let context: BrowserContext;
  let page: Page;
  let client: BenchtopClient;
  let wsId: string | undefined;

  const run = async (command: string): Promise<void> => {
    await page.getByTestId('command-input').fill(command);
    await page.getByTestId('command-run').click();
  };

  beforeAll(async () => {
    home = tempDir('home');
    project = tempDir('proj');
    serve = await startServe(home);
    ({ client } = await serve.connect());
    ({ context, page } = await launchBrowser());
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(serve.url);
  });
  afterAll(async () => {
    await context?.close();
    if (wsId) await client?.call('workspaces.remove', { workspace: wsId }).catch(() => undefined);
    await serve?.stop();
    cleanup(home, project);
  });

  it('takes a disk quota in the create form, and says what it accepts', async () => {
    await page.getByTestId('new-workspace').click();
    await page.getByTestId('backend-bwrap').click();
    await page.getByTestId('ws-name').fill('e2e-disk');
    await page.getByTestId('ws-project').fill(project);
    await page.getByTestId('ws-disk-quota').fill('32');
    await page.getByTestId('create-submit').click();
    await expect.poll(() => page.getByTestId('create-error').textContent()).toBe('Disk quota: a whole number of MiB, at least 64');
    expect(await page.getByTestId('ws-disk-quota').getAttribute('aria-invalid')).toBe('true');
    await page.getByTestId('ws-disk-quota').fill('64');
    await page.getByTestId('create-submit').click();
    await page.getByTestId('workspace-title').filter({ hasText: 'e2e-disk' }).waitFor();
    wsId = (await client.call('workspaces.list', {})).find((w) => w.name === 'e2e-disk')?.id;
    expect((await client.call('workspaces.get', { workspace: 'e2e-disk' })).limits.diskQuotaMiB).toBe(64);
    await page.locator('[data-testid="command-input"]:enabled').waitFor({ timeout: 20_000 });
  });

  it('shows the use measured after a command, and a notice from 90% of the quota', async () => {
    // 59.5 MiB in the home: 93% of 64 MiB; 100 MiB in the project, which is not counted.
    await run('head -c 62390272 /dev/urandom > "$HOME/big"; head -c 104857600 /dev/zero > /workspace/data.bin');
    await page.getByTestId('command-exit').filter({ hasText: 'exit 0' }).waitFor({ timeout: 30_000 });
    const notice = page.getByTestId('disk-notice');
    await notice.waitFor({ timeout: 20_000 });
    expect(await notice.getAttribute('data-level')).toBe('near');
    expect(await notice.textContent()).toMatch(/^Near the disk quota: \d+ MiB of 64 MiB \(9\d%\)\. Above the quota new commands are refused\.$/);
    await page.getByTestId('tab-overview').click();
    expect(await page.getByTestId('disk-detail').textContent()).toMatch(/^\d+ MiB of 64 MiB \(9\d%\) — folder \d+ MiB, measured .*Counts the workspace's folder: its home, journal and recordings; never the project folder\.Quota checked before each command against the last measurement \(bubblewrap has no disk quota/);
    await screenshot(page, '60-disk-near-quota');
    expect(await axeViolations(page)).toEqual([]);
  });

  it('refuses the next command above the quota, with the reason, and lists the use', async () => {
    await run('head -c 10485760 /dev/urandom >> "$HOME/big"');
    await page.getByTestId('command-exit').filter({ hasText: 'exit 0' }).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="disk-notice"][data-level="over"]').waitFor({ timeout: 20_000 });
    await run('echo refused');
    const error = page.getByTestId('command-error');
    await error.waitFor({ timeout: 15_000 });
    expect(await error.textContent()).toMatch(/disk quota exceeded: workspace "e2e-disk" uses \d+ MiB, its quota is 64 MiB/);
    await screenshot(page, '61-disk-over-quota');
    expect(await axeViolations(page)).toEqual([]);
    const last = (await client.call('journal.list', { workspace: 'e2e-disk' })).at(-1);
    expect([last?.command, last?.status]).toEqual(['echo refused', 'not-run']);

    await page.getByRole('button', { name: '← Workspaces' }).click();
    const line = page.locator('[data-testid="workspace-row"][data-name="e2e-disk"] [data-testid="disk-use"]');
    expect(await line.getAttribute('data-level')).toBe('over');
    expect(await line.textContent()).toMatch(/^disk \d+ MiB of 64 MiB \(1\d\d%\) — over quota$/);
    await screenshot(page, '62-disk-list');
    expect(await axeViolations(page)).toEqual([]);
    // Dark, as the system may say: the notice and the list line keep their contrast.
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'e2e-disk' }).first().click();
    await page.getByTestId('disk-notice').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });
  });
});
