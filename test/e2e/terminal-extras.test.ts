/**
 * What researchers expect from other tools, in real Chromium against the real
 * browser host and a bwrap workspace: the window and its terminals follow the
 * system's dark setting, live; Help shows the README; a terminal's find box
 * says "3 of 12" and "No matches", and Enter/Shift+Enter step through; closing
 * a terminal whose shell runs a program asks first, naming it (Cancel keeps
 * it, Close ends it), while an idle shell closes at once. Over podman (its shell
 * lives under conmon, not under the terminal's own process), the running
 * program is named too; under SLURM (the shell on a node) closing asks in
 * general words, even at the prompt. Screenshots land in test-artifacts/screenshots.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BenchtopClient } from '../../src-preload/client';
import type { Workspace } from '../../src-preload/contract';
import { cliJson, cleanup, tempDir } from '../helpers/cli';
import { launchBrowser, screenshot, waitForTerminal } from '../helpers/browser';
import { FIXTURE_IMAGE, REPO } from '../helpers/fixtures';
import { describeWith } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';
import { TerminalViewer } from '../helpers/terminal';

/** Host pids whose command line is exactly `argv` (a sleep with a duration unique to this file). */
function pidsRunning(argv: string[]): number[] {
  const want = argv.join('\0');
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return readFileSync(`/proc/${n}/cmdline`, 'utf8').replace(/\0$/, '') === want;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** WCAG relative luminance of a colour given as `rgb(r, g, b)` or `#rrggbb`. */
function luminance(colour: string): number {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  const rgb = hex ? hex.slice(1).map((h) => parseInt(h, 16)) : (/rgba?\((\d+), (\d+), (\d+)/.exec(colour)?.slice(1).map(Number) ?? []);
  if (rgb.length !== 3) throw new Error(`not a colour: ${colour}`);
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The page's background and the active terminal's (xterm's theme, as it draws it). */
const colours = (page: Page) =>
  page.evaluate(() => {
    const host = document.querySelector('.terminal-pane.active .xterm-host') as (Element & { benchtopTerminal?: { options: { theme?: { background?: string } } } }) | null;
    return { page: getComputedStyle(document.documentElement).backgroundColor, terminal: host?.benchtopTerminal?.options.theme?.background ?? '' };
  });

describeWith('chromium', 'small expectations from other tools: dark theme, help, terminal find and close', () => {
  let home: string;
  let serve: ServeProcess;
  let context: BrowserContext;
  let page: Page;
  let client: BenchtopClient;
  let ws: Workspace;

  const write = async (data: string) => {
    const id = await page.locator('.terminal-pane.active').getAttribute('data-terminal-id');
    await client.call('terminals.write', { id: id as string, data });
  };

  beforeAll(async () => {
    home = tempDir('home');
    ws = await cliJson<Workspace>(['create', 'e2e-extras', '--backend', 'bwrap'], { home });
    serve = await startServe(home);
    ({ client } = await serve.connect());
    ({ context, page } = await launchBrowser());
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(serve.url);
    await page.goto(`${serve.url.replace(/#.*$/, '')}#/w/${ws.id}/terminals`);
    await page.getByTestId('new-terminal').click();
    await waitForTerminal(page, /[$#] $/m);
  });
  afterAll(async () => {
    await context?.close();
    for (const t of (await client?.call('terminals.list', {}).catch(() => [])) ?? []) await client.call('terminals.close', { id: t.id }).catch(() => undefined);
    await serve?.stop();
    for (let i = 0; i < 10; i++) {
      try {
        cleanup(home);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  });

  it('follows the system’s dark setting, page and terminal, and switches live', async () => {
    const light = await colours(page);
    expect(luminance(light.page)).toBeGreaterThan(0.8);
    expect(luminance(light.terminal)).toBeGreaterThan(0.8);

    await page.emulateMedia({ colorScheme: 'dark' });
    // No reload: the open terminal takes the new colours when the system setting changes.
    await expect.poll(async () => luminance((await colours(page)).terminal)).toBeLessThan(0.05);
    const dark = await colours(page);
    expect(luminance(dark.page)).toBeLessThan(0.05);
    expect(dark.page).not.toBe(light.page);
    // Text on the panels is light in the dark.
    expect(luminance(await page.locator('.page-head h2').evaluate((h) => getComputedStyle(h).color))).toBeGreaterThan(0.6);
    await write('echo "dark and readable"\r');
    await waitForTerminal(page, /^dark and readable$/m);
    await screenshot(page, 'extras-01-dark-terminal');
    await page.goto(`${serve.url.replace(/#.*$/, '')}#/`);
    await page.locator(`[data-name="e2e-extras"]`).waitFor();
    await screenshot(page, 'extras-02-dark-list');
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(async () => luminance((await colours(page)).page)).toBeGreaterThan(0.8);
  });

  it('shows the README from the Help link in the sidebar', async () => {
    await page.getByTestId('nav-help').click();
    const help = page.getByTestId('help-page');
    await help.getByRole('heading', { name: 'The two commands' }).waitFor();
    // The README of this checkout, its words as written (a sentence from its opening paragraphs).
    const readme = readFileSync(`${REPO}/README.md`, 'utf8');
    const heading = /^## (.+)$/m.exec(readme)?.[1] as string;
    await help.getByRole('heading', { name: heading }).first().waitFor();
    expect(await help.locator('table').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('nav-help').getAttribute('aria-current')).toBe('page');
    await screenshot(page, 'extras-03-help');
  });

  it('finds text in a terminal: "N of 12", Enter and Shift+Enter step, "No matches" for a missing word', async () => {
    await page.goto(`${serve.url.replace(/#.*$/, '')}#/w/${ws.id}/terminals`);
    await page.locator('.terminal-pane.active .xterm').click();
    // The word is printed 12 times but never typed whole, so the command line is no match.
    await write('w=kiw; for i in $(seq 1 12); do echo "${w}ifruit $i"; done\r');
    await waitForTerminal(page, /^kiwifruit 12$/m);
    await page.locator('.terminal-pane.active .xterm').click();
    await page.keyboard.press('Control+Shift+F');
    const input = page.getByTestId('terminal-search-input');
    const count = page.getByTestId('terminal-search-count');
    await input.fill('kiwifruit');
    await expect.poll(() => count.textContent()).toMatch(/^\d+ of 12$/);
    const first = Number((await count.textContent())?.split(' ')[0]);
    await input.press('Enter');
    await expect.poll(() => count.textContent()).toBe(`${(first % 12) + 1} of 12`);
    await screenshot(page, 'extras-04-search-count');
    await input.press('Shift+Enter');
    await expect.poll(() => count.textContent()).toBe(`${first} of 12`);
    await input.fill('nowhere-in-this-terminal');
    await expect.poll(() => count.textContent()).toBe('No matches');
    await input.press('Escape');
    await page.getByTestId('terminal-search-input').waitFor({ state: 'detached' });
  });

  it('asks before closing a terminal that runs a program, naming it; Cancel keeps it, Close ends it', async () => {
    const sleep = ['sleep', '1234.57'];
    await write(`${sleep.join(' ')}\r`);
    await expect.poll(() => pidsRunning(sleep).length, { timeout: 10_000 }).toBe(1);
    const tabs = page.getByTestId('terminal-tab');
    expect(await tabs.count()).toBe(1);

    await page.getByTestId('close-terminal').click();
    const dialog = page.locator('dialog[open][data-testid="confirm-dialog"]');
    await dialog.waitFor();
    expect(await page.getByTestId('close-terminal-question').textContent()).toBe('sleep is still running in shell 1. Closing the terminal ends it.');
    expect(await dialog.getByRole('heading').textContent()).toBe('Close shell 1?');
    await screenshot(page, 'extras-05-close-prompt');
    await page.getByTestId('confirm-cancel').click();
    await dialog.waitFor({ state: 'detached' });
    expect(await tabs.count()).toBe(1);
    expect(pidsRunning(sleep).length).toBe(1);

    await page.getByTestId('close-terminal').click();
    await dialog.waitFor();
    await page.getByTestId('confirm-accept').click();
    await expect.poll(() => tabs.count()).toBe(0);
    await expect.poll(() => pidsRunning(sleep).length, { timeout: 10_000 }).toBe(0);
  });

  it('closes an idle shell at once, without asking', async () => {
    await page.getByTestId('new-terminal').click();
    await waitForTerminal(page, /[$#] $/m);
    const id = (await page.locator('.terminal-pane.active').getAttribute('data-terminal-id')) as string;
    expect(await client.call('terminals.busy', { id })).toEqual({ busy: false });
    await page.getByTestId('close-terminal').click();
    await expect.poll(() => page.getByTestId('terminal-tab').count()).toBe(0);
    expect(await page.locator('[data-testid="confirm-dialog"]').count()).toBe(0);
    // The tab goes at once; the session a moment later, once its shell has ended.
    await expect.poll(async () => (await client.call('terminals.list', { workspace: ws.id })).map((t) => t.id), { timeout: 10_000 }).not.toContain(id);
  });
});

describeWith('podman', 'naming the program a podman terminal runs (its shell is conmon’s child, not the terminal’s)', () => {
  let home: string;
  let serve: ServeProcess;
  let client: BenchtopClient;
  let ws: Workspace;

  beforeAll(async () => {
    home = tempDir('home');
    ws = await cliJson<Workspace>(['create', 'e2e-extras-pm', '--backend', 'podman', '--image', FIXTURE_IMAGE], { home });
    serve = await startServe(home);
    ({ client } = await serve.connect());
  });
  afterAll(async () => {
    if (ws) await client?.call('workspaces.remove', { workspace: ws.id }).catch(() => undefined);
    await serve?.stop();
    cleanup(home);
  });

  it('is idle at the prompt, names sleep while it runs, and is idle again after', async () => {
    const t = await client.call('terminals.open', { workspace: ws.id, cols: 100, rows: 30 });
    const viewer = new TerminalViewer(client, t.id);
    try {
      // busybox ash asks for the cursor position after its prompt (no viewer answers here).
      await viewer.waitFor(/[$#] /);
      await expect.poll(() => client.call('terminals.busy', { id: t.id })).toEqual({ busy: false });
      await viewer.type('sleep 1234.58\r');
      await expect.poll(() => client.call('terminals.busy', { id: t.id }), { timeout: 10_000 }).toEqual({ busy: true, program: 'sleep' });
      await viewer.type('\x03');
      await expect.poll(() => client.call('terminals.busy', { id: t.id }), { timeout: 10_000 }).toEqual({ busy: false });
    } finally {
      viewer.dispose();
      await client.call('terminals.close', { id: t.id });
    }
  });
});

describeWith('slurm', 'closing a terminal whose shell cannot be seen from here (SLURM placement) asks in general words', () => {
  let home: string;
  let serve: ServeProcess;
  let context: BrowserContext;
  let page: Page;
  let client: BenchtopClient;
  let ws: Workspace;

  beforeAll(async () => {
    home = tempDir('home');
    ws = await cliJson<Workspace>(['create', 'e2e-extras-hpc', '--backend', 'bwrap', '--slurm', '--time', '00:05:00'], { home, timeoutMs: 300_000 });
    serve = await startServe(home);
    ({ client } = await serve.connect());
    ({ context, page } = await launchBrowser());
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(serve.url);
    await page.goto(`${serve.url.replace(/#.*$/, '')}#/w/${ws.id}/terminals`);
  });
  afterAll(async () => {
    await context?.close();
    if (ws) await client?.call('workspaces.remove', { workspace: ws.id }).catch(() => undefined);
    await serve?.stop();
    cleanup(home);
  });

  it('asks "a program may still be running" even at the prompt; Cancel keeps the terminal, Close ends it', async () => {
    await page.getByTestId('new-terminal').click();
    await waitForTerminal(page, /[$#] $/m, 60_000);
    await page.getByTestId('close-terminal').click();
    const dialog = page.locator('dialog[open][data-testid="confirm-dialog"]');
    await dialog.waitFor();
    expect(await page.getByTestId('close-terminal-question').textContent()).toMatch(/^A program may still be running in shell 1 \(Benchtop cannot see this shell’s processes from here\)/);
    await screenshot(page, 'extras-06-close-prompt-unknown');
    await page.getByTestId('confirm-cancel').click();
    await dialog.waitFor({ state: 'detached' });
    expect(await page.getByTestId('terminal-tab').count()).toBe(1);
    await page.getByTestId('close-terminal').click();
    await page.getByTestId('confirm-accept').click();
    await expect.poll(() => page.getByTestId('terminal-tab').count()).toBe(0);
  });
});
