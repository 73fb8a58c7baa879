/**
 * The foreground program of a real login shell in a real PTY, read from /proc:
 * idle at the prompt, the program's name while one runs, idle again after, and
 * "unknown" when no shell can be found.
 */
import { spawn, type IPty } from 'node-pty';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { shellForeground } from '../../src-main/core/terminals/foreground';

const MARKER = 'BENCHTOP_EXEC=fg-unit-test';
let pty: IPty;
let output = '';
/** Above pid_max: no process has it. */
const NO_SUCH_PID = 2 ** 23;

async function until<T>(f: () => T, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const start = Date.now();
  let v = f();
  while (!ok(v)) {
    if (Date.now() - start > ms) throw new Error(`gave up waiting; last: ${JSON.stringify(v)}; output: ${JSON.stringify(output.slice(-300))}`);
    await new Promise((r) => setTimeout(r, 50));
    v = f();
  }
  return v;
}

beforeAll(() => {
  pty = spawn('/bin/bash', ['-l'], { name: 'xterm-256color', cols: 80, rows: 24, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', BENCHTOP_EXEC: 'fg-unit-test' } });
  pty.onData((d) => (output += d));
});
afterAll(() => pty?.kill('SIGKILL'));

it('is idle at the prompt, names the program while it runs, and is idle again when it ends', async () => {
  await until(() => output, (o) => /[$#] $/.test(o));
  expect(shellForeground(pty.pid, MARKER)).toEqual({ busy: false });
  pty.write('sleep 1234.61\r');
  expect(await until(() => shellForeground(pty.pid, MARKER), (f) => f.program === 'sleep')).toEqual({ busy: true, program: 'sleep' });
  pty.write('\x03');
  expect(await until(() => shellForeground(pty.pid, MARKER), (f) => f.busy === false)).toEqual({ busy: false });
});

it('finds the shell by its marker when it is not below the PTY (a podman exec client)', async () => {
  pty.write('sleep 1234.62\r');
  // A PTY child that is no ancestor of the shell (here: none at all); the shell carries the marker.
  expect(await until(() => shellForeground(NO_SUCH_PID, MARKER), (f) => f.program === 'sleep')).toEqual({ busy: true, program: 'sleep' });
  pty.write('\x03');
});

it('says "unknown" when no login shell is visible', () => {
  expect(shellForeground(NO_SUCH_PID, 'BENCHTOP_EXEC=no-such-session')).toEqual({ busy: null });
});
