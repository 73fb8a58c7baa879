/**
 * P3: terminals. (a) Throughput: the same flood command, rendered in xterm.js
 * in Chromium through Benchtop (PTY in main, WebSocket, acks from xterm's write
 * callback) vs read from a raw node-pty running the same sandbox argv.
 * (b) Keystroke echo latency while another terminal floods, vs the raw PTY
 * doing the same. Medians over several runs; ratios printed, no thresholds.
 *
 *   npx tsx bench/terminal.ts          (needs bwrap, Chromium and a built renderer: npm run build)
 */
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { spawn as spawnPty } from 'node-pty';
import { WorkspaceService } from '../src-main/core/workspaces/service';
import { serve } from '../src-main/web/server';
import { launchBrowser } from '../test/helpers/browser';
import { summarize, fmtMs } from './stats';

const MB = 20;
const FLOOD = `head -c ${MB * 1000 * 1000} /dev/zero | tr '\\0' x; echo; echo P3-DONE`;
const RUNS = Number(process.env.BENCH_RUNS) > 0 ? Number(process.env.BENCH_RUNS) : 5;
const KEYS = 20;

function median(xs: number[]): number {
  return summarize(xs).median;
}

/** Raw: node-pty running the sandbox argv Benchtop would use, with the command in place of the login shell. */
async function rawThroughput(argv: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolveMs) => {
    const started = performance.now();
    const [file, ...args] = argv;
    const pty = spawnPty(file as string, [...args.slice(0, -1), FLOOD], { cols: 200, rows: 50, env, encoding: 'utf8' });
    let tail = '';
    let done = false;
    const guard = setTimeout(() => {
      if (!done) pty.kill();
    }, 120_000);
    pty.onExit(() => {
      clearTimeout(guard);
      if (!done) {
        done = true;
        resolveMs(NaN); // never finished: shows as "-" instead of hanging the run
      }
    });
    pty.onData((d) => {
      tail = (tail + d).slice(-64);
      if (!done && tail.includes('P3-DONE')) {
        done = true;
        resolveMs(performance.now() - started);
        pty.kill();
      }
    });
  });
}

async function rawEchoLatency(argv: string[], env: Record<string, string>, flood: boolean): Promise<number[]> {
  const [file, ...args] = argv;
  const flooder = flood ? spawnPty(file as string, [...args.slice(0, -1), 'yes'], { cols: 200, rows: 50, env }) : null;
  flooder?.onData(() => undefined);
  const shell = spawnPty(file as string, [...args.slice(0, -1), 'cat'], { cols: 80, rows: 24, env, encoding: 'utf8' });
  let seen = '';
  shell.onData((d) => (seen += d));
  await new Promise((r) => setTimeout(r, 300));
  const samples: number[] = [];
  for (let i = 0; i < KEYS; i++) {
    const before = seen.length;
    const t0 = performance.now();
    shell.write('a');
    const deadline = performance.now() + 5000;
    while (seen.length === before && performance.now() < deadline) await new Promise((r) => setImmediate(r));
    if (seen.length === before) throw new Error('raw echo never arrived');
    samples.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  shell.kill();
  flooder?.kill();
  return samples;
}

/** Time from a key press in the page until xterm has parsed the echo and painted the next frame. */
async function uiEchoLatency(page: Page): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < KEYS; i++) {
    await page.evaluate(() => {
      type T = { onWriteParsed(cb: () => void): { dispose(): void } };
      const w = window as unknown as { __echo?: Promise<number> };
      const term = (document.querySelector('.terminal-pane.active .xterm-host') as Element & { benchtopTerminal: T }).benchtopTerminal;
      const armed = performance.now();
      w.__echo = new Promise((resolve) => {
        const d = term.onWriteParsed(() => {
          d.dispose();
          requestAnimationFrame(() => resolve(performance.now() - armed));
        });
      });
    });
    await page.keyboard.press('a');
    samples.push(
      await page.evaluate(() =>
        Promise.race([(window as unknown as { __echo: Promise<number> }).__echo, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('echo never rendered')), 10_000))]),
      ),
    );
    await page.waitForTimeout(20);
  }
  return samples;
}

/** Whether the last lines of the active terminal's buffer match (a function, not a string: the page's CSP forbids eval). */
async function waitShows(page: Page, pattern: string, timeout: number): Promise<void> {
  await page.waitForFunction(
    (src) => {
      type B = { length: number; getLine(i: number): { translateToString(t: boolean): string } | undefined };
      const t = (document.querySelector('.terminal-pane.active .xterm-host') as (Element & { benchtopTerminal?: { buffer: { active: B } } }) | null)?.benchtopTerminal;
      if (!t) return false;
      const b = t.buffer.active;
      let s = '';
      for (let i = Math.max(0, b.length - 60); i < b.length; i++) s += `${b.getLine(i)?.translateToString(true) ?? ''}\n`;
      return new RegExp(src).test(s);
    },
    pattern,
    { polling: 50, timeout },
  );
}

async function openTerminal(page: Page): Promise<void> {
  const before = await page.getByTestId('terminal').count();
  await page.getByTestId('new-terminal').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="terminal"]').length > n, before);
  await page.locator('.terminal-pane.active .xterm').click();
  await waitShows(page, 'user@', 15_000);
}

export async function benchTerminal(): Promise<Record<string, unknown>> {
  const home = mkdtempSync(join(os.tmpdir(), 'benchtop-p3-'));
  const service = new WorkspaceService({ home });
  const ws = await service.create({ name: 'p3', backend: 'bwrap' }, 'bench');
  // The raw tool: the same bwrap a terminal runs, straight under a PTY.
  const bwrap = service.driver('bwrap');
  if (!bwrap.launch) throw new Error('bwrap terminals are host programs');
  const source = bwrap.launch(ws, { cwd: bwrap.defaultCwd(ws), env: {}, secretEnv: {}, id: 'bench', stdin: true, tty: { cols: 120, rows: 40 } });
  const served = await serve({ home, host: '127.0.0.1', port: 0, quiet: true });
  const step = (m: string) => process.stderr.write(`P3: ${m}\n`);
  step('launching Chromium');
  const { context, page } = await launchBrowser();
  try {
    await page.goto(`${served.url}${process.env.P3_QS ?? ""}#/w/${ws.id}/terminals`); // P3_QS=&renderer=webgl compares renderers
    step('opening a terminal');
    await openTerminal(page);
    const renderer = await page.evaluate(() => (document.querySelector('.terminal-pane.active canvas') ? 'webgl/canvas' : 'dom'));

    const ui: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      step(`throughput run ${i + 1}/${RUNS}`);
      raw.push(await rawThroughput(source.argv, source.env));
      await page.keyboard.type(`clear; ${FLOOD}\n`);
      const t0 = performance.now();
      await waitShows(page, '\\nP3-DONE\\n', 120_000);
      ui.push(performance.now() - t0);
    }
    const mbps = (ms: number) => MB / (ms / 1000);
    const through = { benchtopMBps: mbps(median(ui)), rawMBps: mbps(median(raw)), samplesMs: { benchtop: ui, raw } };

    // Echo latency, idle and while another terminal floods.
    step('echo latency');
    await page.keyboard.type('clear; cat\n');
    await page.waitForTimeout(300);
    const idleUi = await uiEchoLatency(page);
    const idleRaw = await rawEchoLatency(source.argv, source.env, false);
    await page.keyboard.press('Control+C');
    await openTerminal(page);
    await page.keyboard.type('yes\n');
    await page.waitForTimeout(300);
    // Back to the first terminal, typing while the second floods.
    await page.getByTestId('terminal-tab').first().locator('.term-title').click();
    await page.locator('.terminal-pane.active .xterm').click();
    await page.keyboard.type('cat\n');
    await page.waitForTimeout(300);
    const floodUi = await uiEchoLatency(page);
    const floodRaw = await rawEchoLatency(source.argv, source.env, true);

    const result = {
      renderer,
      throughput: through,
      echoIdle: { benchtopMs: median(idleUi), rawMs: median(idleRaw) },
      echoWhileFlooding: { benchtopMs: median(floodUi), rawMs: median(floodRaw) },
    };
    const line = (name: string, b: string, r: string, ratio: number) => console.log(`${name.padEnd(40)} benchtop ${b.padStart(10)}   raw ${r.padStart(10)}   ratio ${ratio.toFixed(2)}x`);
    console.log(`\nP3 terminal (bwrap, ${MB} MB per run, ${RUNS} runs; xterm renderer: ${renderer})`);
    line('P3 throughput rendered in xterm (MB/s)', through.benchtopMBps.toFixed(1), through.rawMBps.toFixed(1), through.rawMBps / through.benchtopMBps);
    line('P3 keystroke echo, idle', fmtMs(result.echoIdle.benchtopMs), fmtMs(result.echoIdle.rawMs), result.echoIdle.benchtopMs / result.echoIdle.rawMs);
    line('P3 keystroke echo, other terminal floods', fmtMs(result.echoWhileFlooding.benchtopMs), fmtMs(result.echoWhileFlooding.rawMs), result.echoWhileFlooding.benchtopMs / result.echoWhileFlooding.rawMs);
    return result;
  } finally {
    await context.close();
    await served.close();
    await service.remove('p3', 'bench').catch(() => undefined);
  }
}

if (import.meta.url === `file://${resolve(process.argv[1] ?? '')}`) {
  const result = await benchTerminal();
  const dir = resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'terminal.json');
  writeFileSync(file, JSON.stringify({ finishedAt: new Date().toISOString(), ...result }, null, 2));
  process.exit(0);
}
