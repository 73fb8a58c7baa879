/**
 * Long outputs in the journal, in real Chromium against the real browser host
 * and a bwrap workspace: a command printing ~880 KiB of numbered lines opens
 * at its end (only the last slice read, the last line in view without
 * scrolling); "Load earlier" prepends and keeps the lines in view where they
 * were; the journal search's terms are marked and scrolled to (in the loaded
 * tail, and in the head that is loaded for it), with previous/next; the JSONL
 * export (UI and CLI) can carry the outputs; the command bar's link opens its
 * entry, and its timeout is kept per workspace across a reload.
 * Screenshots land in test-artifacts/screenshots.
 */
import { readFileSync } from 'node:fs';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BenchtopClient } from '../../src-preload/client';
import type { JournalEntryWithOutput } from '../../src-preload/contract';
import { cleanup, cli, tempDir } from '../helpers/cli';
import { axeViolations } from '../helpers/axe';
import { createBwrapWorkspaceInUi, launchBrowser, screenshot } from '../helpers/browser';
import { describeWith } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';

const NAME = 'e2e-longout';
const LINES = 14_000;
/** ~880 KiB: under the 1 MiB a stream stores, so the stored tail is the real tail. */
const LONG =
  `echo 'aardvark-head begins'; seq -f 'line %06g of a long output, padded to look like a real log line' 1 ${LINES}; ` +
  `echo 'warning: quokka-7 overflow'; seq -f 'tail %g' 1 5; echo LONGOUT-THE-END`;

describeWith('chromium', 'long outputs in the journal, in a real browser', () => {
  let home: string;
  let project: string;
  let serve: ServeProcess;
  let context: BrowserContext;
  let page: Page;
  let client: BenchtopClient;
  let wsId: string;
  let seq: number;

  const detail = (): Locator => page.getByTestId('journal-detail');
  const stdout = (): Locator => detail().getByTestId('journal-stdout');
  const start = async (): Promise<number> => Number(await stdout().getAttribute('data-start'));

  /** Whether the text is on screen (whole, or at least partly): inside the pre's visible box and inside the window. */
  const inView = (needle: string, whole = true): Promise<boolean> =>
    stdout().evaluate(
      (pre, [needle, whole]) => {
      const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode() as Text | null; n; n = walker.nextNode() as Text | null) {
        const at = n.data.indexOf(needle);
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(n, at);
        range.setEnd(n, at + needle.length);
        const r = range.getBoundingClientRect();
        const box = pre.getBoundingClientRect();
        const top = Math.max(box.top, 0);
        const bottom = Math.min(box.bottom, window.innerHeight);
        return r.height > 0 && (whole ? r.top >= top && r.bottom <= bottom : r.bottom > top && r.top < bottom);
      }
      return false;
      },
      [needle, whole] as const,
    );

  /** The line at the top of the pre's visible area. */
  const topLine = (): Promise<string> =>
    stdout().evaluate((pre) => {
      const box = pre.getBoundingClientRect();
      const caret = document.caretRangeFromPoint(box.left + 14, box.top + 12);
      if (!caret || !(caret.startContainer instanceof Text)) return '';
      const text = pre.textContent ?? '';
      // The caret's offset in the whole text, then its line.
      let offset = 0;
      const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n && n !== caret.startContainer; n = walker.nextNode()) offset += (n as Text).data.length;
      offset += caret.startOffset;
      return text.slice(text.lastIndexOf('\n', offset - 1) + 1, text.indexOf('\n', offset));
    });

  /** A mark of the search is on screen (in its pre and in the window). */
  const markInView = (): Promise<boolean> =>
    stdout().evaluate((pre) => {
      const m = pre.querySelector('mark.jr-mark-current');
      if (!m) return false;
      const r = m.getBoundingClientRect();
      const box = pre.getBoundingClientRect();
      return r.top >= box.top && r.bottom <= box.bottom && r.top >= 0 && r.bottom <= window.innerHeight;
    });

  const search = async (query: string): Promise<void> => {
    await page.getByTestId('journal-search').fill(query);
    await page.getByTestId('journal-search').press('Enter');
    await expect.poll(() => page.getByTestId('journal-count').textContent()).toMatch(/matching/);
  };

  beforeAll(async () => {
    home = tempDir('home');
    project = tempDir('proj');
    serve = await startServe(home);
    ({ client } = await serve.connect());
    ({ context, page } = await launchBrowser());
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(serve.url);
    wsId = await createBwrapWorkspaceInUi(page, client, NAME, project);
    await page.locator('[data-testid="command-input"]:enabled').waitFor({ timeout: 20_000 });
  });
  afterAll(async () => {
    await context?.close();
    if (wsId) await client?.call('workspaces.remove', { workspace: wsId }).catch(() => undefined);
    await serve?.stop();
    cleanup(home, project);
  });

  it("the command bar's link opens the command's own entry in the journal", async () => {
    await page.getByTestId('tab-overview').click();
    await page.getByTestId('command-input').fill(LONG);
    await page.getByTestId('command-run').click();
    const ending = page.getByTestId('command-exit');
    await ending.filter({ hasText: 'exit 0' }).waitFor({ timeout: 60_000 });
    seq = Number((await ending.getByTestId('command-journal-link').textContent())?.replace('#', ''));
    expect(seq).toBeGreaterThan(0);
    // The command's output box is closed, to see the journal as a reader would after a look at it.
    await page.getByRole('button', { name: 'Hide the output' }).click();
    // Another entry is open in the journal first, so only the link can select this one.
    const other = (await client.call('exec.run', { workspace: wsId, shell: 'echo something-else' })).seq;
    await page.getByTestId('tab-journal').click();
    await page.locator(`[data-testid="journal-row"][data-seq="${other}"]`).click();
    await expect.poll(() => detail().getAttribute('data-seq')).toBe(String(other));
    await ending.getByTestId('command-journal-link').click();
    await expect.poll(() => detail().getAttribute('data-seq')).toBe(String(seq));
    expect(await page.evaluate(() => location.hash)).toBe(`#/w/${wsId}/journal/${seq}`);
    expect(await page.locator('[data-testid="journal-row"][aria-selected="true"]').getAttribute('data-seq')).toBe(String(seq));

    // Opening another entry moves the address along, so the same link works again.
    await page.locator(`[data-testid="journal-row"][data-seq="${other}"]`).click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#/w/${wsId}/journal/${other}`);
    await ending.getByTestId('command-journal-link').click();
    await expect.poll(() => detail().getAttribute('data-seq')).toBe(String(seq));
    // A reload shows the same entry.
    await page.reload();
    await expect.poll(() => detail().getAttribute('data-seq'), { timeout: 10_000 }).toBe(String(seq));
  });

  it('opens the output at its end: only the last slice read, the last line in view without scrolling', async () => {
    await expect.poll(() => stdout().textContent(), { timeout: 10_000 }).toMatch(/LONGOUT-THE-END\n$/);
    const text = (await stdout().textContent()) ?? '';
    expect(text.length).toBeLessThan(64 * 1024 + 1);
    expect(text).not.toContain('aardvark-head');
    // The slice starts on a whole line.
    expect(text).toMatch(/^line \d{6} of a long output/);
    expect(await detail().getByTestId('journal-stdout-shown').textContent()).toMatch(/^last 6\d KiB of \d{3} KiB$/);
    expect(await inView('LONGOUT-THE-END')).toBe(true);
    await screenshot(page, '60-journal-long-output-end');
  });

  it('"Load earlier" prepends the slice before and keeps the lines in view where they were', async () => {
    const before = await start();
    const firstBefore = ((await stdout().textContent()) ?? '').split('\n')[0] as string;
    // Read from the middle of the slice, as a reader who scrolled up would.
    await stdout().evaluate((pre) => (pre.scrollTop = pre.scrollHeight / 2));
    const top = await topLine();
    expect(top).toMatch(/^line \d{6}/);
    await detail().getByTestId('journal-stdout-earlier').click();
    await expect.poll(start).toBeLessThan(before);
    const text = (await stdout().textContent()) ?? '';
    const firstNumber = (line: string) => Number(/^line (\d{6})/.exec(line)?.[1]);
    expect(firstNumber(text)).toBeLessThan(firstNumber(firstBefore));
    expect(text).toContain(`${firstBefore}\n`);
    expect(text.length).toBeLessThan(2 * 64 * 1024 + 1);
    expect(await topLine()).toBe(top);
    expect(await inView(top, false)).toBe(true);
    await screenshot(page, '61-journal-long-output-earlier');
  });

  it('marks a search term found near the end and scrolls to it', async () => {
    await search('quokka-7');
    await page.locator(`[data-testid="journal-row"][data-seq="${seq}"]`).click();
    await expect.poll(() => stdout().locator('mark.jr-mark').count()).toBe(1);
    expect(await stdout().locator('mark.jr-mark').textContent()).toBe('quokka-7');
    expect(await detail().getByTestId('journal-stdout-match-count').textContent()).toBe('1 of 1');
    await expect.poll(markInView).toBe(true);
    await screenshot(page, '62-journal-long-output-match');
    // Marks, "Load earlier" and the match stepper pass axe (light and dark).
    expect(await axeViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      expect(await axeViolations(page), 'dark').toEqual([]);
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
    }
  });

  it('steps between matches, starting from the last (nearest the end)', async () => {
    await search('tail');
    await expect.poll(() => stdout().locator('mark.jr-mark').count()).toBe(5);
    const count = detail().getByTestId('journal-stdout-match-count');
    const currentLine = () => stdout().evaluate((pre) => pre.querySelector('mark.jr-mark-current')?.nextSibling?.textContent?.split('\n')[0] ?? '');
    expect(await count.textContent()).toBe('5 of 5');
    expect(await currentLine()).toBe(' 5');
    await detail().getByTestId('journal-stdout-match-prev').click();
    expect(await count.textContent()).toBe('4 of 5');
    expect(await currentLine()).toBe(' 4');
    await detail().getByTestId('journal-stdout-match-next').click();
    await detail().getByTestId('journal-stdout-match-next').click();
    expect(await count.textContent()).toBe('1 of 5');
    expect(await currentLine()).toBe(' 1');
    await expect.poll(markInView).toBe(true);
  });

  it('a term only in the head of the output (searched too) loads the output from its start and marks it', async () => {
    await search('aardvark-head');
    await page.locator(`[data-testid="journal-row"][data-seq="${seq}"]`).click();
    await expect.poll(() => stdout().locator('mark.jr-mark').count(), { timeout: 15_000 }).toBe(1);
    expect(await start()).toBe(0);
    expect(await stdout().textContent()).toMatch(/^aardvark-head begins\nline 000001 /);
    await expect.poll(markInView).toBe(true);
    expect(await detail().getByTestId('journal-stdout-shown').count()).toBe(0);
  });

  it('exports the shown entries as JSONL with their outputs when asked (UI download)', async () => {
    await search('quokka-7');
    await page.getByTestId('journal-export-outputs').check();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('journal-export').click()]);
    const lines = readFileSync((await download.path()) as string, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const e = JSON.parse(lines[0] as string) as JournalEntryWithOutput;
    expect(e.seq).toBe(seq);
    expect(e.stdoutText.startsWith('aardvark-head begins\nline 000001 ')).toBe(true);
    expect(e.stdoutText.endsWith('tail 5\nLONGOUT-THE-END\n')).toBe(true);
    expect(Buffer.byteLength(e.stdoutText)).toBe(e.stdout?.storedBytes);
    expect(e.stderrText).toBe('');

    await page.getByTestId('journal-export-outputs').uncheck();
    const [plain] = await Promise.all([page.waitForEvent('download'), page.getByTestId('journal-export').click()]);
    expect(Object.keys(JSON.parse(readFileSync((await plain.path()) as string, 'utf8')) as object)).not.toContain('stdoutText');
  });

  it('benchtop logs --jsonl --with-output writes one entry per line with its outputs', async () => {
    const r = await cli(['logs', NAME, '--jsonl', '--with-output'], { home });
    expect(r.exitCode).toBe(0);
    const entries = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as JournalEntryWithOutput);
    const e = entries.find((x) => x.seq === seq);
    expect(e?.stdoutText.endsWith('LONGOUT-THE-END\n')).toBe(true);
    expect(entries.find((x) => x.command === 'echo something-else')?.stdoutText).toBe('something-else\n');
    const plain = await cli(['logs', NAME, '--jsonl'], { home });
    expect(plain.stdout.split('\n')[0]).not.toContain('stdoutText');
    const bad = await cli(['logs', NAME, '--with-output'], { home });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr.trim()).toBe('benchtop: --with-output needs --json or --jsonl (see benchtop --help)');
  });

  it('says where a stream over the cap stopped being stored, below its last stored line', async () => {
    // 1.5 MiB: the journal keeps the first 1 MiB, so the end shown is where storing stopped.
    const r = await client.call('exec.run', { workspace: wsId, shell: `yes ${'z'.repeat(63)} | head -c ${1.5 * 1024 * 1024}; echo never-stored-end` });
    await page.getByTestId('journal-search').fill('');
    await page.getByTestId('journal-search').press('Enter');
    await expect.poll(() => page.getByTestId('journal-count').textContent()).not.toMatch(/matching/);
    await page.locator(`[data-testid="journal-row"][data-seq="${r.seq}"]`).click();
    await expect.poll(() => detail().getAttribute('data-seq')).toBe(String(r.seq));
    const end = detail().getByTestId('journal-stdout-truncated-end');
    await end.waitFor();
    expect(await end.textContent()).toBe('Not stored from here on: 512 KiB more were produced.');
    expect(await detail().getByTestId('journal-stdout-shown').textContent()).toBe('last 64 KiB of 1.0 MiB stored');
    expect(await stdout().textContent()).not.toContain('never-stored-end');
    // Readable at 1024 px too: the header (size, Load earlier, truncated) wraps, nothing is cut.
    await page.setViewportSize({ width: 1024, height: 720 });
    try {
      await screenshot(page, '63-journal-long-output-truncated-1024');
      await end.scrollIntoViewIfNeeded();
      const box = await end.boundingBox();
      expect(box && box.x + box.width).toBeLessThanOrEqual(1024);
    } finally {
      await page.setViewportSize({ width: 1280, height: 720 });
    }
  });

  it("keeps the command bar's timeout per workspace across a reload", async () => {
    const timeout = page.getByTestId('command-timeout');
    expect(await timeout.inputValue()).toBe('300');
    await timeout.fill('45');
    await page.reload();
    await expect.poll(() => page.getByTestId('command-timeout').inputValue()).toBe('45');
    // Back to the workspace's default: nothing is kept, so the default is followed again.
    await page.getByTestId('command-timeout').fill('300');
    expect(await page.evaluate((id) => localStorage.getItem(`benchtop.commandTimeout.${id}`), wsId)).toBeNull();
  });
});
