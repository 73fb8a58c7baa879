/**
 * Changes made outside the window — by the CLI, in the same data folder —
 * reach an open window within 2 s: a workspace created, its journal entries
 * written, and its removal. Real Chromium against the real browser host.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cli, cleanup, tempDir } from '../helpers/cli';
import { launchBrowser, screenshot } from '../helpers/browser';
import { describeWith } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';

/** Milliseconds from now until `check` holds (polled every 50 ms), or a failure after `limitMs`. */
async function msUntil(check: () => Promise<boolean>, limitMs: number): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > limitMs) throw new Error(`not seen within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - start;
}

describeWith('chromium', 'an open window follows the data folder', () => {
  let home: string;
  let serve: ServeProcess;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    home = tempDir('home');
    serve = await startServe(home);
    ({ context, page } = await launchBrowser());
    await page.goto(serve.url);
    await page.getByText('No workspaces yet.').waitFor();
  });
  afterAll(async () => {
    await context?.close();
    await serve?.stop();
    cleanup(home);
  });

  it('shows workspaces the CLI creates and removes within 2 s, without a reload', async () => {
    const names = ['cli-one', 'cli-two', 'cli-three'];
    for (const name of names) {
      const r = await cli(['create', name, '--backend', 'bwrap'], { home });
      expect(r.exitCode).toBe(0);
      const ms = await msUntil(async () => (await page.locator(`[data-name="${name}"]`).count()) > 0, 5000);
      expect(ms).toBeLessThan(2000);
    }
    await screenshot(page, '16-cli-created-workspaces-live');
    expect((await cli(['rm', 'cli-two'], { home })).exitCode).toBe(0);
    const gone = await msUntil(async () => (await page.locator('[data-name="cli-two"]').count()) === 0, 5000);
    expect(gone).toBeLessThan(2000);
  });

  it('shows a command the CLI runs in the open journal within 2 s, running and then done', async () => {
    await page.locator('[data-name="cli-one"] a.ws-name').click();
    await page.getByTestId('tab-journal').click();
    const child = cli(['exec', 'cli-one', '-c', 'echo from-the-cli; sleep 3'], { home });
    const running = await msUntil(async () => (await page.getByText('echo from-the-cli; sleep 3').count()) > 0, 5000);
    expect(running).toBeLessThan(2000);
    // Its row (the command's parent) says running while the command runs (3 s), then turns to its exit code.
    const row = page.getByText('echo from-the-cli; sleep 3').locator('..');
    expect(await row.textContent()).toContain('running');
    expect((await child).exitCode).toBe(0);
    const done = await msUntil(async () => !(await row.textContent())?.includes('running'), 5000);
    expect(done).toBeLessThan(2000);
    await screenshot(page, '17-cli-command-in-open-journal');
  });
});
