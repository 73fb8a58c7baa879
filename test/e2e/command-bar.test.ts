/**
 * The command bar as a researcher uses it, in real Chromium against the real
 * browser host and a bwrap workspace: it is on every tab; output streams in
 * while the command runs (stderr told apart); Cancel kills the command and the
 * journal says interrupted; Up/Down recall earlier commands (kept across a
 * reload); the timeout is shown, validated and honoured (exit 124); a
 * command and a terminal run as another user when asked.
 * Screenshots land in test-artifacts/screenshots.
 */
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BenchtopClient } from '../../src-preload/client';
import { cleanup, tempDir } from '../helpers/cli';
import { createBwrapWorkspaceInUi, launchBrowser, screenshot, waitForTerminal } from '../helpers/browser';
import { describeWith } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';

describeWith('chromium', 'the command bar, in a real browser', () => {
  let home: string;
  let project: string;
  let serve: ServeProcess;
  let context: BrowserContext;
  let page: Page;
  let client: BenchtopClient;
  let wsId: string;

  const input = (): Locator => page.getByTestId('command-input');
  const output = (): Locator => page.getByTestId('command-output');
  const ending = (): Locator => page.getByTestId('command-exit');
  const run = async (command: string): Promise<void> => {
    await input().fill(command);
    await page.getByTestId('command-run').click();
  };

  beforeAll(async () => {
    home = tempDir('home');
    project = tempDir('proj');
    serve = await startServe(home);
    ({ client } = await serve.connect());
    ({ context, page } = await launchBrowser());
    page.on('dialog', (d) => void d.accept());
    await page.goto(serve.url);
    wsId = await createBwrapWorkspaceInUi(page, client, 'e2e-cmd', project);
    // The bar takes commands once the workspace runs.
    await page.locator('[data-testid="command-input"]:enabled').waitFor({ timeout: 20_000 });
  });
  afterAll(async () => {
    await context?.close();
    if (wsId) await client?.call('workspaces.remove', { workspace: wsId }).catch(() => undefined);
    await serve?.stop();
    cleanup(home, project);
  });

  it('is on every tab, with the workspace default timeout shown', async () => {
    for (const tab of ['overview', 'terminals', 'journal'] as const) {
      await page.getByTestId(`tab-${tab}`).click();
      await expect.poll(() => input().isVisible()).toBe(true);
    }
    expect(await page.getByTestId('command-timeout').inputValue()).toBe('300');
  });

  it('streams the output from the Terminals tab while the command runs, then ends with exit 0', async () => {
    await page.getByTestId('tab-terminals').click();
    await run('echo one; sleep 2; echo two');
    await expect.poll(() => output().textContent(), { timeout: 10_000 }).toContain('one');
    // `one` is on screen while the command still runs and before `two` was written.
    expect(await output().textContent()).not.toContain('two');
    expect(await page.getByTestId('command-output-box').getAttribute('data-outcome')).toBe('running');
    expect(await page.getByTestId('command-cancel').isVisible()).toBe(true);
    expect(await page.getByTestId('command-running').textContent()).toMatch(/running · \d/);
    await screenshot(page, '40-command-bar-streaming');

    await ending().filter({ hasText: 'exit 0' }).waitFor({ timeout: 15_000 });
    expect(await ending().getAttribute('data-outcome')).toBe('exit');
    expect(await ending().textContent()).toMatch(/^#\d+ exit 0$/);
    expect(await output().textContent()).toBe('one\ntwo\n');
    expect(await page.getByTestId('command-status').textContent()).toMatch(/^exit 0 · .* · journal #\d+$/);
  });

  it('shows stderr apart from stdout', async () => {
    await run('echo to-out; echo to-err >&2; exit 3');
    await ending().filter({ hasText: 'exit 3' }).waitFor({ timeout: 15_000 });
    expect(await output().locator('[data-stream="stdout"]').allTextContents()).toEqual(['to-out\n']);
    expect(await output().locator('[data-stream="stderr"]').allTextContents()).toEqual(['to-err\n']);
    const colour = (stream: string) => output().locator(`[data-stream="${stream}"]`).first().evaluate((el) => getComputedStyle(el).color);
    expect(await colour('stderr')).not.toBe(await colour('stdout'));
    await screenshot(page, '41-command-bar-stderr');
  });

  it('cancels a running command: it ends cancelled within seconds and the journal shows it interrupted', async () => {
    await run('echo start; sleep 30');
    await expect.poll(() => output().textContent(), { timeout: 10_000 }).toContain('start');
    const seqText = await page.getByTestId('command-running').getByTestId('command-journal-link').textContent({ timeout: 10_000 });
    const seq = Number(seqText?.replace('#', ''));
    expect(seq).toBeGreaterThan(0);
    const t0 = Date.now();
    await page.getByTestId('command-cancel').click();
    await ending().filter({ hasText: 'cancelled' }).waitFor({ timeout: 5_000 });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await ending().getAttribute('data-outcome')).toBe('cancelled');
    expect(await ending().textContent()).toBe(`#${seq} cancelled`);
    expect(await output().textContent()).toBe('start\n');
    await screenshot(page, '42-command-bar-cancelled');

    // The link goes to the journal, where the entry is interrupted.
    await ending().getByTestId('command-journal-link').click();
    const r = page.locator(`[data-testid="journal-row"][data-seq="${seq}"]`);
    await expect.poll(() => r.getAttribute('data-status'), { timeout: 10_000 }).toBe('interrupted');
    expect(await r.getByTestId('journal-row-status').textContent()).toBe('interrupted');
    const entry = (await client.call('journal.search', { workspace: wsId })).entries.find((e) => e.seq === seq);
    expect(entry?.status).toBe('interrupted');
    expect(entry?.command).toBe('echo start; sleep 30');
    await r.click();
    await screenshot(page, '43-command-bar-cancelled-journal');
  });

  it('recalls earlier commands with Up and Down, also after a reload', async () => {
    await input().fill('half-typed');
    await input().press('ArrowUp');
    expect(await input().inputValue()).toBe('echo start; sleep 30');
    await input().press('ArrowUp');
    expect(await input().inputValue()).toBe('echo to-out; echo to-err >&2; exit 3');
    await input().press('ArrowUp');
    expect(await input().inputValue()).toBe('echo one; sleep 2; echo two');
    await input().press('ArrowUp'); // the oldest: stays
    expect(await input().inputValue()).toBe('echo one; sleep 2; echo two');
    await input().press('ArrowDown');
    expect(await input().inputValue()).toBe('echo to-out; echo to-err >&2; exit 3');
    await input().press('ArrowDown');
    await input().press('ArrowDown');
    expect(await input().inputValue()).toBe('half-typed');

    await page.reload();
    await page.getByTestId('workspace-title').filter({ hasText: 'e2e-cmd' }).waitFor();
    await input().fill('');
    await input().press('ArrowUp');
    expect(await input().inputValue()).toBe('echo start; sleep 30');
  });

  it('validates the timeout and kills a command that outlives it (exit 124)', async () => {
    await page.getByTestId('tab-terminals').click();
    const timeout = page.getByTestId('command-timeout');
    await input().fill('sleep 5');
    await timeout.fill('0');
    await page.getByTestId('command-timeout-error').filter({ hasText: 'between 1 and 1800' }).waitFor();
    expect(await page.getByTestId('command-run').isDisabled()).toBe(true);
    await timeout.fill('1801');
    expect(await page.getByTestId('command-run').isDisabled()).toBe(true);
    await timeout.fill('1');
    expect(await page.getByTestId('command-timeout-error').count()).toBe(0);
    const t0 = Date.now();
    await page.getByTestId('command-run').click();
    await ending().filter({ hasText: 'exit 124' }).waitFor({ timeout: 10_000 });
    expect(Date.now() - t0).toBeLessThan(4_500);
    expect(await ending().textContent()).toMatch(/^#\d+ exit 124 \(timed out after 1 s\)$/);
    expect(await page.getByTestId('command-status').textContent()).toMatch(/killed after the 1 s timeout/);
    await screenshot(page, '44-command-bar-timeout');
    await timeout.fill('300');
  });

  it('runs a command, and opens a terminal, as another user of the workspace', async () => {
    await page.getByTestId('tab-terminals').click();
    await page.getByTestId('command-user').fill('65534');
    await run('id -u; echo "home=$HOME"');
    await ending().filter({ hasText: 'exit 0' }).waitFor({ timeout: 15_000 });
    expect(await output().textContent()).toMatch(/^65534\nhome=\//);
    await page.getByTestId('command-user').fill('nosuch9');
    await run('id -u');
    await expect.poll(() => page.getByTestId('command-error').textContent(), { timeout: 15_000 }).toMatch(/no user "nosuch9"/);
    expect(await page.getByTestId('command-status').textContent()).toMatch(/^not run · journal #\d+$/);
    await page.getByTestId('command-user').fill('');

    await page.getByTestId('terminal-user').fill('nobody');
    await page.getByTestId('new-terminal').click();
    await page.getByTestId('terminal-tab').filter({ hasText: 'shell as nobody' }).waitFor({ timeout: 15_000 });
    await page.locator('.terminal-pane.active .xterm').click();
    await page.keyboard.type('id -un\n');
    await waitForTerminal(page, /\bnobody\r?\n/);
    await screenshot(page, '45-command-bar-as-user');
    await page.getByTestId('terminal-user').fill('');
  });

  it('keeps only the last 200 KB of a large output on screen', async () => {
    await run('i=0; while [ $i -lt 12000 ]; do echo "line $i of the flood ......................................"; i=$((i+1)); done; echo the-end');
    await ending().filter({ hasText: 'exit 0' }).waitFor({ timeout: 20_000 });
    const text = (await output().locator('[data-stream="stdout"]').allTextContents()).join('');
    expect(text.length).toBeLessThanOrEqual(200 * 1024);
    expect(text.length).toBeGreaterThan(190 * 1024);
    expect(text.endsWith('line 11999 of the flood ......................................\nthe-end\n')).toBe(true);
    expect(text).not.toContain('line 0 of');
    expect(await output().locator('.cmd-dropped').textContent()).toMatch(/KB of earlier output not shown/);
  });
});
