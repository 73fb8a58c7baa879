/**
 * The real guest agent over pipes (`benchtop-agent --stdio`), no VM: every
 * session behaviour of guest/agent/PROTOCOL.md against the host's codec —
 * handshake, exec and exits, pre-exec failures, users, environment, PTYs,
 * signals, CLOSE, output and stdin flow control, the session limit.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { release, userInfo } from 'node:os';
import { afterEach, expect, it } from 'vitest';
import { encodeFrame, encodeResize, encodeU32, FrameDecoder, T, GUEST_TYPES } from '../../../src-main/core/agent/frames';
import { AGENT_BIN, AgentHost, describeWithAgent, execPayload, outputBytes, stderrOf, stdoutOf } from '../../helpers/agent';

const hosts: AgentHost[] = [];
function agent(argv?: string[]): AgentHost {
  const h = new AgentHost(argv);
  hosts.push(h);
  return h;
}
afterEach(() => {
  for (const h of hosts.splice(0)) h.kill();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Gone, or a zombie waiting for a reaper that is not us. */
function dead(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function waitDead(pid: number, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (dead(pid)) return true;
    await sleep(25);
  }
  return dead(pid);
}

function passwdEntry(uid: number): { name: string; home: string } {
  const [name, , , , , home] = execFileSync('getent', ['passwd', String(uid)], { encoding: 'utf8' }).trim().split(':');
  return { name: name!, home: home! };
}

describeWithAgent('benchtop-agent --stdio', () => {
  it('greets with SYNC + HELLO (version, agent, kernel, pid) and accepts the host HELLO', async () => {
    const h = agent();
    await h.until(() => h.hello !== undefined, 5000, 'HELLO');
    expect(Object.fromEntries(h.hello!)).toEqual({ version: '1', agent: 'benchtop-agent 1', kernel: release(), pid: String(h.proc.pid) });
    h.greet();
    h.send(0, T.PING, Buffer.from('ping \0 bytes'));
    await h.until(() => h.frames.some((f) => f.type === T.PONG), 5000, 'PONG');
    expect(h.frames.find((f) => f.type === T.PONG)!.payload.toString()).toBe('ping \0 bytes');
    expect(await h.stop()).toEqual({ code: 0, signal: null });
  });

  it('skips what comes before SYNC (a half frame from an earlier host)', async () => {
    const h = agent();
    h.write(Buffer.from([0, 0, 0, 5, 0, 0, 0, 1, 3, 0x41]));
    h.greet();
    const s = await h.run(1, { args: ['echo', 'ok'] });
    expect(stdoutOf(s)).toBe('ok\n');
  });

  it('a SYNC between frames is a new host: every session ends and the agent greets again', async () => {
    const h = agent();
    h.strict = false;
    h.greet();
    h.exec(1, { args: ['sleep', '100'] });
    await h.until(() => h.session(1).pid !== undefined, 5000, 'STARTED');
    const before = Buffer.concat(h.raw).length;
    h.greet();
    h.send(2, T.EXEC, execPayload({ args: ['echo', 'again'] }));
    // The agent's second SYNC is a protocol error to the old decoder; a new host reads from it on.
    const fromNewSync = () => new FrameDecoder(GUEST_TYPES).push(Buffer.concat(h.raw).subarray(before));
    await h.until(() => fromNewSync().some((f) => f.type === T.EXIT), 5000, 'the new session');
    const fresh = fromNewSync();
    expect(fresh[2]!.payload.toString()).toBe('again\n');
    expect(fresh.map((f) => [f.session, f.type])).toEqual([
      [0, T.G_HELLO],
      [2, T.STARTED],
      [2, T.STDOUT],
      [2, T.EXIT],
    ]);
    expect(await waitDead(h.session(1).pid!)).toBe(true);
  });

  it('refuses another protocol version with ERROR on session 0, and exits 1', async () => {
    const h = agent();
    h.greet(2);
    expect(await h.exited).toEqual({ code: 1, signal: null });
    expect(h.protocolErrors).toEqual(['protocol version 2 is not supported (this agent speaks 1)']);
    expect(h.stderr).toMatch(/^benchtop-agent: protocol error: protocol version 2/);
  });

  it('refuses any frame before HELLO', async () => {
    const h = agent();
    h.write(Buffer.concat([Buffer.from('\nBTAGENT'), encodeFrame(0, T.PING)]));
    expect(await h.exited).toEqual({ code: 1, signal: null });
    expect(h.protocolErrors[0]).toMatch(/before HELLO/);
  });

  it('runs a program: STARTED with its pid, stdout and stderr apart, the exit code', async () => {
    const h = agent();
    h.greet();
    const s = await h.run(1, { args: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
    expect(s.pid).toBeGreaterThan(0);
    expect(stdoutOf(s)).toBe('out\n');
    expect(stderrOf(s)).toBe('err\n');
    expect(s.exit).toEqual({ code: 3 });
    // STARTED comes first, EXIT last.
    const types = h.frames.filter((f) => f.session === 1).map((f) => f.type);
    expect(types[0]).toBe(T.STARTED);
    expect(types.at(-1)).toBe(T.EXIT);
  });

  it('reports death by a signal as signal=N', async () => {
    const h = agent();
    h.greet();
    const s = await h.run(1, { args: ['sh', '-c', 'kill -9 $$'] });
    expect(s.exit).toEqual({ signal: 9 });
  });

  it('answers one ERROR line, never STARTED, when the program cannot run', async () => {
    const h = agent();
    h.greet();
    const cases: Array<[Parameters<AgentHost['run']>[1], string]> = [
      [{ args: ['true'], user: 'nosuch' }, 'user nosuch: no such user in the guest'],
      [{ args: ['true'], cwd: '/nope' }, 'cwd /nope: No such file or directory'],
      [{ args: ['nosuch-program'] }, 'nosuch-program: command not found'],
      [{ args: ['/nope/prog'] }, '/nope/prog: No such file or directory'],
      [{ args: ['/etc/passwd'] }, '/etc/passwd: Permission denied'],
      [{ args: ['true'], env: { PATH: '/nowhere' } }, 'true: command not found'],
    ];
    let id = 1;
    for (const [o, line] of cases) {
      const s = await h.run(id, o);
      expect(s.error, JSON.stringify(o)).toBe(line);
      expect(s.pid).toBeUndefined();
      expect(s.exit).toBeUndefined();
      // The id is free again at once.
      const again = await h.run(id, { args: ['true'] });
      expect(again.exit).toEqual({ code: 0 });
      id++;
    }
  });

  it('runs as a uid (65534) and as a name, with HOME from passwd and USER/LOGNAME for a name', async () => {
    const nobody = passwdEntry(65534);
    const h = agent();
    h.greet();
    const byUid = await h.run(1, { args: ['sh', '-c', 'id -u; id -g; echo "$HOME|${USER-unset}"'], user: 65534, env: { PATH: '/usr/bin:/bin', HOME: '/wrong' } });
    expect(stdoutOf(byUid)).toBe(`65534\n65534\n${nobody.home}|unset\n`);
    const byName = await h.run(2, { args: ['sh', '-c', 'id -u; echo "$HOME|$USER|$LOGNAME"'], user: nobody.name });
    expect(stdoutOf(byName)).toBe(`65534\n${nobody.home}|${nobody.name}|${nobody.name}\n`);
    // No cwd: the home directory, or / when it does not exist.
    const home = await h.run(3, { args: ['pwd'], user: 0, cwd: null });
    expect(stdoutOf(home)).toBe(`${passwdEntry(0).home}\n`);
    const noHome = await h.run(4, { args: ['pwd'], user: 65534, cwd: null });
    expect(stdoutOf(noHome)).toBe(existsSync(nobody.home) ? `${nobody.home}\n` : '/\n');
  });

  it('gives exactly the environment sent (plus HOME from passwd)', async () => {
    const h = agent();
    h.greet();
    const env = { PATH: '/usr/bin:/bin', A: '1', SPACED: 'x y  z', EMPTY: '', 'WITH=EQ': 'no' };
    // A NAME containing '=' cannot exist; what arrives is NAME=VALUE split at the first '='.
    const s = await h.run(1, { args: ['env'], env });
    const lines = stdoutOf(s).trimEnd().split('\n').sort();
    const want = ['PATH=/usr/bin:/bin', 'A=1', 'SPACED=x y  z', 'EMPTY=', 'WITH=EQ=no', `HOME=${userInfo().homedir}`].sort();
    expect(lines).toEqual(want);
  });

  it('tty: stty size is rows cols, RESIZE changes it, all output is one stream', async () => {
    const h = agent();
    h.greet();
    h.exec(1, { args: ['sh', '-c', 'stty size; echo to-stderr >&2; read x; stty size'], tty: true, cols: 100, rows: 30 });
    const s = h.session(1);
    await h.until(() => /to-stderr/.test(stdoutOf(s)), 5000, 'first size');
    h.send(1, T.RESIZE, encodeResize(132, 43));
    h.send(1, T.STDIN, Buffer.from('\n'));
    await h.ended(1);
    const out = stdoutOf(s).replace(/\r/g, '');
    expect(out.match(/^\d+ \d+$/gm)).toEqual(['30 100', '43 132']);
    expect(s.output.every((o) => o.type === T.STDOUT)).toBe(true);
    expect(s.exit).toEqual({ code: 0 });
  });

  it('tty: STDIN_EOF sends the EOF character (twice after a partial line), so cat ends', async () => {
    const h = agent();
    h.greet();
    h.exec(1, { args: ['cat'], tty: true });
    h.send(1, T.STDIN, Buffer.from('partial'));
    h.send(1, T.STDIN_EOF);
    const s = await h.ended(1);
    expect(s.exit).toEqual({ code: 0 });
    expect(stdoutOf(s)).toContain('partial');
  });

  it('pipes: STDIN_EOF closes the child stdin', async () => {
    const h = agent();
    h.greet();
    h.exec(1, { args: ['sh', '-c', 'cat; echo done'] });
    h.send(1, T.STDIN, Buffer.from('abc'));
    h.send(1, T.STDIN_EOF);
    const s = await h.ended(1);
    expect(stdoutOf(s)).toBe('abcdone\n');
  });

  it('resets signal dispositions: SIGINT ends a child even when the agent ignores SIGINT', async () => {
    const h = agent(['sh', '-c', `trap "" INT; exec "$0" --stdio`, AGENT_BIN]);
    h.greet();
    h.exec(1, { args: ['sleep', '100'] });
    await h.until(() => h.session(1).pid !== undefined, 5000, 'STARTED');
    h.send(1, T.SIGNAL, Buffer.from([2]));
    const s = await h.ended(1, 5000);
    expect(s.exit).toEqual({ signal: 2 });
  });

  it('CLOSE kills the whole group, a backgrounded grandchild too, and no EXIT follows', async () => {
    const h = agent();
    h.greet();
    h.exec(1, { args: ['sh', '-c', 'sleep 100 & echo $!; wait'] });
    const s = h.session(1);
    await h.until(() => /\d+\n/.test(stdoutOf(s)), 5000, 'grandchild pid');
    const grandchild = Number(stdoutOf(s).trim());
    expect(dead(grandchild)).toBe(false);
    h.send(1, T.CLOSE);
    expect(await waitDead(grandchild)).toBe(true);
    expect(await waitDead(s.pid!)).toBe(true);
    await sleep(300);
    expect(s.exit).toBeUndefined();
    // The id may be used again.
    expect((await h.run(1, { args: ['true'] })).exit).toEqual({ code: 0 });
  });

  it('EOF from the host ends every session and exits 0', async () => {
    const h = agent();
    h.greet();
    h.exec(1, { args: ['sleep', '100'] });
    await h.until(() => h.session(1).pid !== undefined, 5000, 'STARTED');
    expect(await h.stop()).toEqual({ code: 0, signal: null });
    expect(await waitDead(h.session(1).pid!)).toBe(true);
  });

  it('SHUTDOWN (not pid 1) ends every session and exits 0', async () => {
    const h = agent();
    h.greet();
    h.exec(1, { args: ['sleep', '100'] });
    await h.until(() => h.session(1).pid !== undefined, 5000, 'STARTED');
    h.send(0, T.SHUTDOWN);
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(await waitDead(h.session(1).pid!)).toBe(true);
  });

  it('output flow control: stops at the initial 262144 bytes of credit, CREDIT lets more through', async () => {
    const h = agent();
    h.autoCredit = false;
    h.greet();
    h.exec(1, { args: ['head', '-c', '10000000', '/dev/zero'] });
    const s = h.session(1);
    await h.until(() => outputBytes(s) >= 262144, 5000, 'the first 256 KiB');
    await sleep(500);
    expect(outputBytes(s)).toBe(262144);
    expect(Math.max(...s.output.map((o) => o.data.length))).toBeLessThanOrEqual(65536);
    h.send(1, T.CREDIT, encodeU32(100_000));
    await h.until(() => outputBytes(s) >= 362144, 5000, 'the credited bytes');
    await sleep(300);
    expect(outputBytes(s)).toBe(362144);
    expect(s.exit).toBeUndefined();
    // With credit as it goes, the rest arrives and EXIT comes after the last byte.
    h.autoCredit = true;
    h.send(1, T.CREDIT, encodeU32(362144));
    await h.ended(1, 30_000);
    expect(outputBytes(s)).toBe(10_000_000);
    expect(s.exit).toEqual({ code: 0 });
  });

  it('stdin flow control: 1 MiB to wc -c in 256 KiB steps as STDIN_CREDIT comes back', async () => {
    const h = agent();
    h.greet();
    h.exec(1, { args: ['wc', '-c'] });
    const s = h.session(1);
    const step = 256 * 1024;
    for (let sent = 0; sent < 1 << 20; sent += step) {
      await h.until(() => s.stdinCredit >= sent, 5000, `credit for ${sent} bytes`);
      h.send(1, T.STDIN, Buffer.alloc(step, 0x61));
    }
    await h.until(() => s.stdinCredit === 1 << 20, 5000, 'all credit');
    h.send(1, T.STDIN_EOF);
    await h.ended(1);
    expect(stdoutOf(s).trim()).toBe('1048576');
  });

  it('stdin beyond the credit is a protocol error', async () => {
    const h = agent();
    h.greet();
    h.exec(1, { args: ['sleep', '100'] });
    await h.until(() => h.session(1).pid !== undefined, 5000, 'STARTED');
    h.send(1, T.STDIN, Buffer.alloc(200_000));
    h.send(1, T.STDIN, Buffer.alloc(200_000));
    expect(await h.exited).toEqual({ code: 1, signal: null });
    expect(h.protocolErrors[0]).toMatch(/stdin sent beyond its credit/);
    expect(await waitDead(h.session(1).pid!)).toBe(true);
  });

  it('at most 256 sessions: the 257th gets ERROR, and a slot freed is usable again', async () => {
    const h = agent();
    h.greet();
    for (let id = 1; id <= 256; id++) h.exec(id, { args: ['sleep', '100'] });
    await h.until(() => [...h.sessions.values()].filter((s) => s.pid).length === 256, 60_000, '256 STARTED');
    const s = await h.run(257, { args: ['true'] });
    expect(s.error).toBe('too many sessions (256 at once)');
    h.send(1, T.SIGNAL, Buffer.from([15]));
    await h.ended(1);
    expect((await h.run(257, { args: ['true'] })).exit).toEqual({ code: 0 });
    expect(await h.stop()).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('many sessions at once each get exactly their own output', async () => {
    const h = agent();
    h.greet();
    const n = 24;
    const script = 'i=0; while [ $i -lt 300 ]; do echo "$0-$i"; i=$((i+1)); done; echo "$0-err" >&2; exit $1';
    for (let id = 1; id <= n; id++) h.exec(id, { args: ['sh', '-c', script, `s${id}`, String(id % 7)] });
    for (let id = 1; id <= n; id++) {
      const s = await h.ended(id, 30_000);
      const want = Array.from({ length: 300 }, (_, i) => `s${id}-${i}\n`).join('');
      expect(stdoutOf(s)).toBe(want);
      expect(stderrOf(s)).toBe(`s${id}-err\n`);
      expect(s.exit).toEqual({ code: id % 7 });
    }
  }, 60_000);

  it('frames for a session that just ended are ignored; for one never started they are an error', async () => {
    const h = agent();
    h.greet();
    await h.run(1, { args: ['true'] });
    h.send(1, T.CREDIT, encodeU32(10));
    h.send(1, T.STDIN, Buffer.from('late'));
    expect((await h.run(2, { args: ['true'] })).exit).toEqual({ code: 0 });
    h.send(99, T.CREDIT, encodeU32(10));
    expect(await h.exited).toEqual({ code: 1, signal: null });
    expect(h.protocolErrors).toEqual(['frame type 0x07 for unknown session 99']);
  });

  it('the binary is static', () => {
    expect(existsSync(AGENT_BIN)).toBe(true);
    const head = readFileSync(AGENT_BIN).subarray(0, 4);
    expect(head.toString('latin1')).toBe('\x7fELF');
    // No program interpreter: nothing to load from the guest's /lib.
    expect(readFileSync(AGENT_BIN).includes(Buffer.from('/lib/ld-musl'))).toBe(false);
  });
});
