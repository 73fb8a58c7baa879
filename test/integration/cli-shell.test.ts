/**
 * `benchtop shell` in a real terminal (a PTY, as tmux or a terminal emulator
 * gives one): a prompt from the workspace, the terminal's size inside and its
 * changes followed, keys passed raw, `--user`, the shell's exit code as the
 * command's, and the session journaled like the app's terminals.
 */
import { spawn, type IPty } from 'node-pty';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JournalEntry, Workspace } from '../../src-preload/contract';
import { cleanup, cli, cliJson, tempDir } from '../helpers/cli';
import { CLI, FIXTURE_IMAGE } from '../helpers/fixtures';
import { describeWith } from '../helpers/runtime';

/** The CLI under a PTY, its screen collected. */
function inTerminal(args: string[], home: string, cols: number, rows: number): { pty: IPty; out: () => string; exited: Promise<number>; waitFor: (re: RegExp) => Promise<void> } {
  const pty = spawn('node', [CLI, ...args], { name: 'xterm-256color', cols, rows, cwd: '/tmp', env: { ...process.env, BENCHTOP_HOME: home } as Record<string, string> });
  let out = '';
  pty.onData((d) => (out += d));
  const exited = new Promise<number>((resolve) => pty.onExit((e) => resolve(e.exitCode)));
  const waitFor = async (re: RegExp) => {
    const end = Date.now() + 20_000;
    while (!re.test(out)) {
      if (Date.now() > end) throw new Error(`never saw ${re}: ${JSON.stringify(out.slice(-400))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { pty, out: () => out, exited, waitFor };
}

/** A busybox prompt, then (ash) its cursor-position query. */
// eslint-disable-next-line no-control-regex
const ANY_PROMPT = /[#$] (\x1b\[6n)?$/;

const cases = [
  { runtime: 'bwrap', name: 'sh-bw', create: ['--backend', 'bwrap'], prompt: /user@sh-bw:\/workspace\$ $/ },
  { runtime: 'podman', name: 'sh-pm', create: ['--backend', 'podman', '--image', FIXTURE_IMAGE], prompt: ANY_PROMPT },
] as const;

for (const c of cases) {
  describeWith(c.runtime, `benchtop shell (${c.runtime})`, () => {
    let home: string;
    beforeAll(async () => {
      home = tempDir('home');
      await cliJson<Workspace>(['create', c.name, ...c.create], { home });
    });
    afterAll(async () => {
      await cli(['rm', c.name], { home });
      cleanup(home);
    });

    it('gives a prompt at this terminal’s size, follows a resize, and exits with the shell’s code; journaled', async () => {
      const t = inTerminal(['shell', c.name], home, 100, 30);
      await t.waitFor(c.prompt);
      t.pty.write('stty size\r');
      await t.waitFor(/[\r\n]30 100\r\n/);
      t.pty.resize(120, 40);
      await new Promise((r) => setTimeout(r, 300));
      t.pty.write('stty size\r');
      await t.waitFor(/[\r\n]40 120\r\n/);
      // Raw keys: Ctrl+C reaches the shell's foreground program, not this command.
      t.pty.write('sleep 4321.5\r');
      await new Promise((r) => setTimeout(r, 500));
      t.pty.write('\x03');
      t.pty.write('echo after-ctrl-c\r');
      await t.waitFor(/[\r\n]after-ctrl-c\r\n/);
      t.pty.write('exit 3\r');
      expect(await t.exited).toBe(3);
      // The shell's own terminal made its line ends; this one passed them through untouched.
      expect(t.out()).not.toContain('\r\r\n');
      const last = (await cliJson<JournalEntry[]>(['logs', c.name], { home })).filter((e) => e.source === 'terminal').at(-1);
      expect([last?.exitCode, last?.client, last?.command, last?.status]).toEqual([3, 'cli', 'cli shell', 'completed']);
      expect(last?.recording).toMatch(/^terminals\/[0-9a-f]{16}\.cast$/);
    });

    it('--user runs the shell as that user', async () => {
      const t = inTerminal(['shell', c.name, '--user', 'nobody'], home, 80, 24);
      await t.waitFor(ANY_PROMPT);
      t.pty.write('id -u; exit\r');
      await t.waitFor(/\r?\n?65534\r\n/);
      expect(await t.exited).toBe(0);
    });

    it('--user with no such user: one line of ours, exit 125, the session journaled as not run', async () => {
      const t = inTerminal(['shell', c.name, '--user', 'nosuch7'], home, 80, 24);
      const code = await t.exited;
      // The sandbox's own words (podman's "Error: unable to find user …") are not shown: ours are.
      expect(t.out().replace(/\r/g, '')).toMatch(/^benchtop: (--)?user: no user "nosuch7"[^\n]*\n$/);
      expect(code).toBe(125);
      const last = (await cliJson<JournalEntry[]>(['logs', c.name], { home })).filter((e) => e.source === 'terminal').at(-1);
      expect(last?.status).toBe('not-run');
      expect(last?.reason).toMatch(/nosuch7/);
    });
  });
}
