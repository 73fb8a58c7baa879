/** Debian's Chromium driven by playwright-core (no browser download), headless, in a fresh profile. */
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { BenchtopClient } from '../../src-preload/client';
import { REPO } from './fixtures';

export const CHROMIUM = process.env.BENCHTOP_CHROMIUM ?? '/usr/bin/chromium';
/** Where screenshot() writes: test-artifacts/screenshots, or BENCHTOP_SCREENSHOTS to look at one file's pictures alone. */
export const SCREENSHOTS = process.env.BENCHTOP_SCREENSHOTS ?? join(REPO, 'test-artifacts', 'screenshots');

export async function launchBrowser(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'benchtop-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 860 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/**
 * What the active terminal shows: its buffer's lines, read through xterm's API
 * (the WebGL renderer draws on a canvas, so there is no text in the DOM).
 */
export async function terminalText(page: Page): Promise<string> {
  return page.evaluate(() => {
    type Buf = { length: number; getLine(i: number): { translateToString(trim: boolean): string } | undefined };
    const host = document.querySelector('.terminal-pane.active .xterm-host') as (Element & { benchtopTerminal?: { buffer: { active: Buf } } }) | null;
    const buf = host?.benchtopTerminal?.buffer.active;
    if (!buf) return '';
    const lines: string[] = [];
    for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n');
  });
}

/** The active terminal's size and the lines on its screen (not the scrollback above). */
export function terminalScreen(page: Page): Promise<{ rows: number; cols: number; lines: string[] }> {
  return page.evaluate(() => {
    type Term = { rows: number; cols: number; buffer: { active: { viewportY: number; getLine(i: number): { translateToString(trim: boolean): string } | undefined } } };
    const host = document.querySelector('.terminal-pane.active .xterm-host') as (Element & { benchtopTerminal?: Term }) | null;
    const t = host?.benchtopTerminal;
    if (!t) return { rows: 0, cols: 0, lines: [] };
    const buf = t.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < t.rows; i++) lines.push(buf.getLine(buf.viewportY + i)?.translateToString(true) ?? '');
    return { rows: t.rows, cols: t.cols, lines };
  });
}

/** Waits until the active terminal shows `pattern`; returns its text, or fails with the last of it. */
export async function waitForTerminal(page: Page, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const start = Date.now();
  let text = '';
  while (Date.now() - start < timeoutMs) {
    text = await terminalText(page);
    if (pattern.test(text)) return text;
    await page.waitForTimeout(100);
  }
  throw new Error(`terminal never showed ${pattern}: ${JSON.stringify(text.slice(-600))}`);
}

/** Creates a bwrap workspace through the create dialog (project folder given) and returns its id once listed. */
export async function createBwrapWorkspaceInUi(page: Page, client: BenchtopClient, name: string, project: string): Promise<string> {
  await page.getByTestId('new-workspace').click();
  await page.getByTestId('backend-bwrap').click();
  await page.getByTestId('ws-name').fill(name);
  await page.getByTestId('ws-project').fill(project);
  await page.getByTestId('create-submit').click();
  await page.getByTestId('workspace-title').filter({ hasText: name }).waitFor();
  const ws = (await client.call('workspaces.list', {})).find((w) => w.name === name);
  if (!ws) throw new Error(`workspace ${name} is not listed`);
  return ws.id;
}
