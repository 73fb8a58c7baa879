/**
 * Terminals and their recordings as a researcher uses them, in real Chromium
 * against the real browser host and a bwrap workspace: Ctrl+Shift+V pastes
 * once; a full-screen program (vi) comes back at the pane's full size after a
 * reload, in the terminal that was selected; Ctrl+M lets Tab leave the
 * terminal; a closed session is "closed" in the journal, and its recording
 * replays at a readable size, with room. Screenshots land in
 * test-artifacts/screenshots.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BenchtopClient } from '../../src-preload/client';
import type { Workspace } from '../../src-preload/contract';
import { cliJson, cleanup, tempDir } from '../helpers/cli';
import { launchBrowser, screenshot, terminalScreen as screen, waitForTerminal } from '../helpers/browser';
import { describeWith } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';
import { TerminalViewer } from '../helpers/terminal';

const activeTabTitle = (page: Page) => page.locator('.term-tab.active .term-title').first().textContent();

describeWith('chromium', 'terminals as a researcher uses them, in a real browser', () => {
  let home: string;
  let serve: ServeProcess;
  let context: BrowserContext;
  let page: Page;
  let client: BenchtopClient;
  let ws: Workspace;

  beforeAll(async () => {
    home = tempDir('home');
    ws = await cliJson<Workspace>(['create', 'e2e-term', '--backend', 'bwrap'], { home });
    serve = await startServe(home);
    ({ client } = await serve.connect());
    ({ context, page } = await launchBrowser());
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(serve.url).origin });
    page.on('dialog', (d) => void d.accept());
    await page.setViewportSize({ width: 1360, height: 1240 });
    await page.goto(serve.url);
    await page.goto(`${serve.url.replace(/#.*$/, '')}#/w/${ws.id}/terminals`);
    await page.getByTestId('new-terminal').waitFor();
  });
  afterAll(async () => {
    await context?.close();
    for (const t of (await client?.call('terminals.list', {}).catch(() => [])) ?? []) await client.call('terminals.close', { id: t.id }).catch(() => undefined);
    await serve?.stop();
    // The watchdog may still be clearing its records of the sessions just closed.
    for (let i = 0; i < 10; i++) {
      try {
        cleanup(home);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  });

  it('Ctrl+Shift+V pastes the clipboard once', async () => {
    await page.getByTestId('new-terminal').click();
    await page.locator('.terminal-pane.active .xterm').click();
    await waitForTerminal(page, /\$ $/m);
    const pasteOnce = async (token: string) => {
      await page.evaluate((t) => navigator.clipboard.writeText(t), token);
      await page.keyboard.type('echo "[');
      await page.keyboard.press('Control+Shift+V');
      await page.waitForTimeout(300); // a second paste, were there one, comes before the rest of the line
      await page.keyboard.type(']"\n');
      const text = await waitForTerminal(page, new RegExp(`^\\[${token}.*\\]$`, 'm'));
      expect(text).toMatch(new RegExp(`^\\[${token}\\]$`, 'm'));
      expect(text).not.toContain(`${token}${token}`);
    };
    // Chromium turns Ctrl+Shift+V into a paste event itself ("paste as plain text"), which xterm
    // makes input; the terminal pasted the clipboard again on top of that.
    await pasteOnce('PASTE-42');
  });

  it('Ctrl+M lets Tab move the focus out of the terminal, and shows it; Ctrl+M again sends Tab to the shell', async () => {
    const inTerminal = () => page.evaluate(() => !!document.activeElement?.closest('.terminal-pane.active .xterm'));
    await page.locator('.terminal-pane.active .xterm').click();
    await page.keyboard.type('echo tab-test');
    // Trapped (the default): Tab completes in the shell and the focus stays.
    await page.keyboard.press('Tab');
    expect(await inTerminal()).toBe(true);
    expect(await page.getByTestId('terminal-tab-mode').count()).toBe(0);
    await page.keyboard.press('Control+M');
    await page.getByTestId('terminal-tab-mode').filter({ hasText: 'Tab moves focus' }).waitFor();
    await screenshot(page, '30-terminal-tab-moves-focus');
    await page.keyboard.press('Tab');
    expect(await inTerminal()).toBe(false);
    await page.locator('.terminal-pane.active .xterm').click();
    await page.keyboard.press('Control+M');
    await expect.poll(() => page.getByTestId('terminal-tab-mode').count()).toBe(0);
    await page.keyboard.press('Tab');
    expect(await inTerminal()).toBe(true);
    await page.keyboard.press('Control+U'); // clears whatever Tab completed
  });

  it('a full-screen program comes back at the pane’s full size after a reload, in the terminal that was selected', async () => {
    // shell 1 (from the test above) runs vi; shell 2 is opened after it; shell 1 is selected again.
    await page.getByTestId('new-terminal').click();
    await expect.poll(() => activeTabTitle(page)).toBe('shell 2');
    await page.locator('.term-tab .term-title').filter({ hasText: 'shell 1' }).click();
    await expect.poll(() => activeTabTitle(page)).toBe('shell 1');
    await page.locator('.terminal-pane.active .xterm').click();
    const before = await screen(page);
    expect(before.rows).toBeGreaterThan(40);
    await page.keyboard.type("vi -u NONE -N --cmd 'set shortmess+=I'\n");
    const tildes = (lines: string[]) => lines.filter((l) => /^~\s*$/.test(l)).length;
    await expect.poll(async () => tildes((await screen(page)).lines), { timeout: 15_000 }).toBe(before.rows - 2);

    await page.reload();
    await page.locator('.terminal-pane.active .xterm').waitFor();
    // The selected terminal is still selected.
    await expect.poll(() => activeTabTitle(page)).toBe('shell 1');
    // vi was made to redraw at the pane's size: every row but its first and its last is a "~".
    await expect.poll(async () => tildes((await screen(page)).lines), { timeout: 15_000 }).toBe(before.rows - 2);
    await screenshot(page, '31-vi-after-reload');
    const after = await screen(page);
    expect(after.rows).toBe(before.rows);
    // It takes typing, and redraws.
    await page.locator('.terminal-pane.active .xterm').click();
    await page.keyboard.type('ihello-from-vi');
    await page.keyboard.press('Escape');
    await expect.poll(async () => (await screen(page)).lines[0]).toBe('hello-from-vi');
    await page.keyboard.type(':q!\n');
    // Typed before vi has gone, the next line would be read by vi: wait for its screen to go.
    await expect.poll(async () => tildes((await screen(page)).lines), { timeout: 15_000 }).toBe(0);
    await page.keyboard.type('stty size\n');
    await waitForTerminal(page, new RegExp(`^${before.rows} ${before.cols}$`, 'm'));
  });

  it('a terminal closed by the user is "closed" in the journal, and its 142-column recording replays readable, with room', async () => {
    const t = await client.call('terminals.open', { workspace: ws.id, cols: 142, rows: 30, title: 'wide session' });
    const view = new TerminalViewer(client, t.id);
    await view.type(`printf '%s\\n' ${Array.from({ length: 4 }, (_, i) => `col-${i}-${'x'.repeat(120)}-end`).join(' ')}\r`);
    await view.waitFor(/col-3-x+-end\r\n/);
    await client.call('terminals.close', { id: t.id });
    view.dispose();

    await page.getByTestId('tab-journal').click();
    await page.getByTestId('journal-search').fill('wide session');
    const row = page.getByTestId('journal-row').filter({ hasText: 'wide session' });
    await row.getByTestId('journal-row-status').filter({ hasText: /^closed$/ }).waitFor();
    await row.click();
    await page.getByTestId('journal-detail-status').filter({ hasText: 'closed' }).waitFor();
    // Its "command" is the tab's name: nothing to copy.
    expect(await page.getByTestId('journal-copy').count()).toBe(0);
    const player = page.getByTestId('journal-player');
    await player.locator('.ap-term').first().waitFor({ timeout: 15_000 });
    const fontPx = async () => player.locator('.ap-term').first().evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    expect(await fontPx()).toBeGreaterThanOrEqual(12);
    // Played: the screen shows the session's lines, at full width (the panel scrolls).
    await player.locator('.ap-overlay-start').click();
    await expect.poll(() => player.locator('.ap-term').first().textContent(), { timeout: 15_000 }).toContain('col-3-');
    const termBox = await player.locator('.ap-term').first().boundingBox();
    expect(termBox!.width).toBeGreaterThan(142 * 7);
    await screenshot(page, '32-recording-in-panel');
    await page.getByTestId('journal-player-wide').click();
    const box = await player.boundingBox();
    expect(box!.width).toBeGreaterThan(1200);
    // Room for the whole 142-column width at that size.
    const term = await player.locator('.ap-term').first().boundingBox();
    expect(term!.width).toBeLessThanOrEqual(box!.width);
    expect(await fontPx()).toBeGreaterThanOrEqual(12);
    await screenshot(page, '33-recording-wide');
    await page.keyboard.press('Escape');
    await expect.poll(() => player.getAttribute('data-wide')).toBe(null);
  });
});
