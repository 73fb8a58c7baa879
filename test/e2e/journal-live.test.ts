/**
 * The journal browser while commands run, in real Chromium against the real
 * browser host and a bwrap workspace: an exec's entry is announced when it
 * starts (running) and again when it ends, under one seq — one row, updated in
 * place; a running entry shows its elapsed time and its output so far;
 * interrupted and not-run entries are told apart from failed exit codes.
 * Screenshots land in test-artifacts/screenshots.
 */
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BenchtopClient } from '../../src-preload/client';
import { cleanup, tempDir } from '../helpers/cli';
import { createBwrapWorkspaceInUi, launchBrowser, screenshot } from '../helpers/browser';
import { describeWith } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';

const row = (page: Page, seq: number): Locator => page.locator(`[data-testid="journal-row"][data-seq="${seq}"]`);

/** The seq of the newest row whose command is exactly `command`, once it is listed. */
async function seqOf(page: Page, command: string, timeoutMs = 15_000): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    const seqs = await page.getByTestId('journal-row').evaluateAll(
      (rows, cmd) => rows.filter((r) => r.querySelector('.jr-cmd')?.firstChild?.textContent === cmd).map((r) => Number(r.getAttribute('data-seq'))),
      command,
    );
    if (seqs.length) return Math.max(...seqs);
    await page.waitForTimeout(50);
  }
  throw new Error(`no journal row for ${command}`);
}

/** Every seq listed, to check that no entry is listed twice. */
const listedSeqs = (page: Page): Promise<number[]> => page.getByTestId('journal-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-seq'))));

describeWith('chromium', 'the journal while commands run, in a real browser', () => {
  let home: string;
  let project: string;
  let serve: ServeProcess;
  let context: BrowserContext;
  let page: Page;
  let client: BenchtopClient;
  let wsId: string;

  beforeAll(async () => {
    home = tempDir('home');
    project = tempDir('proj');
    serve = await startServe(home);
    ({ client } = await serve.connect());
    ({ context, page } = await launchBrowser());
    page.on('dialog', (d) => void d.accept());
    await page.goto(serve.url);
    wsId = await createBwrapWorkspaceInUi(page, client, 'e2e-live', project);
    await page.getByTestId('tab-journal').click();
    await page.getByTestId('journal-list').waitFor();
  });
  afterAll(async () => {
    await context?.close();
    if (wsId) await client?.call('workspaces.remove', { workspace: wsId }).catch(() => undefined);
    await serve?.stop();
    cleanup(home, project);
  });

  it('shows a command from the command bar running, then completed in the same row', async () => {
    const command = 'sleep 3; echo done';
    await page.getByTestId('command-input').fill(command);
    await page.getByTestId('command-run').click();

    const seq = await seqOf(page, command);
    const r = row(page, seq);
    await expect.poll(() => r.getAttribute('data-status')).toBe('running');
    expect(await r.getByTestId('journal-row-status').textContent()).toBe('running');
    // The elapsed time ticks while it runs.
    const first = await r.getByTestId('journal-row-elapsed').textContent();
    expect(first).toMatch(/^\d+ s$/);
    await expect.poll(() => r.getByTestId('journal-row-elapsed').textContent(), { timeout: 2500 }).not.toBe(first);

    // Opened while it runs: the detail says so, then follows it to its end.
    await r.click();
    const detail = page.getByTestId('journal-detail');
    await expect.poll(() => detail.getByTestId('journal-detail-status').getAttribute('data-status')).toBe('running');
    expect(await detail.getByTestId('journal-detail-status').textContent()).toMatch(/^running · \d+ s$/);
    expect(await detail.getByTestId('journal-detail-exit').textContent()).toBe('— (still running)');

    await expect.poll(() => r.getAttribute('data-status'), { timeout: 15_000 }).toBe('completed');
    expect(await r.getByTestId('journal-row-status').textContent()).toBe('0');
    await expect.poll(() => detail.getByTestId('journal-detail-status').textContent(), { timeout: 10_000 }).toBe('exit 0');
    await expect.poll(() => detail.getByTestId('journal-stdout').textContent()).toBe('done\n');
    expect(await detail.getByTestId('journal-detail-exit').textContent()).toBe('0');
    await page.getByTestId('command-exit').filter({ hasText: `#${seq} exit 0` }).waitFor();

    // One row for the seq, and no seq twice, now and after a while (the second event updated it in place).
    await page.waitForTimeout(500);
    expect(await row(page, seq).count()).toBe(1);
    const seqs = await listedSeqs(page);
    expect(new Set(seqs).size).toBe(seqs.length);

    // Run again: the new entry is selected as soon as it starts, to watch it run.
    await detail.getByTestId('journal-run-again').click();
    await expect.poll(async () => Number(await detail.getAttribute('data-seq')), { timeout: 10_000 }).toBeGreaterThan(seq);
    const again = Number(await detail.getAttribute('data-seq'));
    expect(await detail.getByTestId('journal-detail-status').getAttribute('data-status')).toBe('running');
    expect(await row(page, again).getAttribute('class')).toContain('jr-selected');
    await expect.poll(() => detail.getByTestId('journal-detail-status').textContent(), { timeout: 15_000 }).toBe('exit 0');
    expect(await detail.getByTestId('journal-stdout').textContent()).toBe('done\n');
    expect(await row(page, again).count()).toBe(1);
  });

  it('shows the output of a running entry as it grows', async () => {
    const command = 'for i in 1 2 3 4 5 6; do echo "step $i of 6"; sleep 1; done; echo finished';
    const done = client.call('exec.run', { workspace: wsId, shell: command });
    const seq = await seqOf(page, command);
    await row(page, seq).click();
    const detail = page.getByTestId('journal-detail');
    const stdout = detail.getByTestId('journal-stdout');
    await expect.poll(() => stdout.textContent(), { timeout: 10_000 }).toMatch(/step 2 of 6/);
    expect(await detail.getByTestId('journal-detail-status').getAttribute('data-status')).toBe('running');
    expect(await stdout.getAttribute('data-live')).toBe('true');
    await expect.poll(() => stdout.textContent(), { timeout: 10_000 }).toMatch(/step 3 of 6/);
    await screenshot(page, '12-journal-running');

    const result = await done;
    expect(result.exitCode).toBe(0);
    await expect.poll(() => detail.getByTestId('journal-detail-status').textContent(), { timeout: 10_000 }).toBe('exit 0');
    expect(await stdout.textContent()).toBe(`${[1, 2, 3, 4, 5, 6].map((i) => `step ${i} of 6\n`).join('')}finished\n`);
    expect(await stdout.getAttribute('data-live')).toBeNull();
    expect(await row(page, seq).count()).toBe(1);
  });

  it('shows a command the sandbox could not run as not run, with the reason and no exit code', async () => {
    const command = 'echo never';
    await expect(client.call('exec.run', { workspace: wsId, shell: command, cwd: '/nonexistent' })).rejects.toThrow(/nonexistent/);
    const seq = await seqOf(page, command);
    const r = row(page, seq);
    await expect.poll(() => r.getAttribute('data-status')).toBe('not-run');
    expect(await r.getByTestId('journal-row-status').textContent()).toBe('not run');
    expect(await r.locator('.jr-reason').textContent()).toMatch(/nonexistent/);
    await r.click();
    const detail = page.getByTestId('journal-detail');
    await expect.poll(() => detail.getByTestId('journal-detail-status').textContent()).toBe('not run');
    expect(await detail.getByTestId('journal-reason').textContent()).toMatch(/^Not run: .*cwd: \/nonexistent/);
    expect(await detail.getByTestId('journal-detail-exit').textContent()).toBe('none (not run)');
    await screenshot(page, '13-journal-not-run');
  });

  it('shows a cancelled command as interrupted, with the reason and its output so far', async () => {
    const command = 'echo partial; sleep 30';
    const execId = 'e2e-live-cancel-0001';
    const done = client.call('exec.run', { workspace: wsId, shell: command, execId }).then(
      () => null,
      (err: Error) => err,
    );
    const seq = await seqOf(page, command);
    const r = row(page, seq);
    await r.click();
    const detail = page.getByTestId('journal-detail');
    await expect.poll(() => detail.getByTestId('journal-stdout').textContent(), { timeout: 10_000 }).toBe('partial\n');
    await client.call('exec.cancel', { execId });
    expect((await done)?.message).toMatch(/cancelled/);
    await expect.poll(() => r.getAttribute('data-status'), { timeout: 10_000 }).toBe('interrupted');
    expect(await r.getByTestId('journal-row-status').textContent()).toBe('interrupted');
    await expect.poll(() => detail.getByTestId('journal-detail-status').textContent(), { timeout: 10_000 }).toBe('interrupted');
    expect(await detail.getByTestId('journal-reason').textContent()).toMatch(/^Interrupted before it ended.*cancelled by/);
    expect(await detail.getByTestId('journal-detail-exit').textContent()).toBe('none (interrupted)');
    expect(await detail.getByTestId('journal-stdout').textContent()).toBe('partial\n');
    expect(await row(page, seq).count()).toBe(1);
    await screenshot(page, '14-journal-interrupted');
  });

  it('filters failed exit codes apart from entries that have none', async () => {
    await client.call('exec.run', { workspace: wsId, shell: 'exit 3' });
    await page.getByTestId('journal-exit').selectOption('failed');
    await expect.poll(async () => (await page.getByTestId('journal-row').allTextContents()).length).toBe(1);
    const statuses = await page.getByTestId('journal-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));
    expect(statuses).toEqual(['completed']);
    expect(await page.getByTestId('journal-row').first().getByTestId('journal-row-status').textContent()).toBe('3');
    await page.getByTestId('journal-exit').selectOption('any');
    const seqs = await listedSeqs(page);
    expect(new Set(seqs).size).toBe(seqs.length);
  });
});
