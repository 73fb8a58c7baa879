/**
 * Drives the real guest agent (build/agent/benchtop-agent --stdio) over pipes
 * with the host's frame codec, and collects what each session printed and how
 * it ended. Building needs musl-gcc (Debian musl-tools): without it the
 * suites skip with a one-line reason, and fail under BENCHTOP_REQUIRE_RUNTIMES=1.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'vitest';
import { decodeKv, encodeFrame, encodeKv, encodeU32, FrameDecoder, kvGet, SYNC, T, type Frame, GUEST_TYPES } from '../../src-main/core/agent/frames';
import { REPO } from './fixtures';
import { REQUIRED } from './runtime';

export const AGENT_BIN = resolve(REPO, 'build/agent/benchtop-agent');

/** Builds the agent (a no-op when it is up to date): null, or why it cannot be. */
export function buildAgent(): string | null {
  try {
    execFileSync('musl-gcc', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'musl-gcc is not installed (apt install musl-tools)';
  }
  execFileSync('node', [resolve(REPO, 'scripts/build-agent.mjs')], { cwd: REPO, stdio: 'inherit' });
  return existsSync(AGENT_BIN) ? null : `${AGENT_BIN} was not built`;
}

/** `describe` that runs only when the agent can be built (and fails in CI when it cannot). */
export function describeWithAgent(name: string, fn: () => void): void {
  const why = buildAgent();
  if (why === null) describe(name, fn);
  else if (REQUIRED)
    describe(name, () => {
      it('requires the guest agent', () => {
        throw new Error(`the guest agent is required in CI but cannot be built: ${why}`);
      });
    });
  else describe.skip(`${name} — skipped: ${why}`, fn);
}

export interface ExecOptions {
  args: string[];
  env?: Record<string, string>;
  /** Default '/'; null: none sent (the agent uses the user's home, or /). */
  cwd?: string | null;
  user?: string | number;
  tty?: boolean;
  cols?: number;
  rows?: number;
}

export interface SessionState {
  pid?: number;
  /** Output frames in arrival order (STDOUT and STDERR interleaved as sent). */
  output: Array<{ type: number; data: Buffer }>;
  exit?: { code?: number; signal?: number };
  error?: string;
  stdinCredit: number;
}

export interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function stdoutOf(s: SessionState): string {
  return Buffer.concat(s.output.filter((o) => o.type === T.STDOUT).map((o) => o.data)).toString('utf8');
}

export function stderrOf(s: SessionState): string {
  return Buffer.concat(s.output.filter((o) => o.type === T.STDERR).map((o) => o.data)).toString('utf8');
}

export function outputBytes(s: SessionState): number {
  return s.output.reduce((n, o) => n + o.data.length, 0);
}

export function execPayload(o: ExecOptions): Buffer {
  const pairs: Array<[string, string | number]> = o.args.map((a) => ['arg', a]);
  if (o.cwd !== null) pairs.push(['cwd', o.cwd ?? '/']);
  for (const [k, v] of Object.entries(o.env ?? { PATH: '/usr/local/bin:/usr/bin:/bin' })) pairs.push(['env', `${k}=${v}`]);
  if (o.user !== undefined) pairs.push(['user', o.user]);
  pairs.push(['tty', o.tty ? 1 : 0]);
  if (o.tty) pairs.push(['cols', o.cols ?? 80], ['rows', o.rows ?? 24]);
  return encodeKv(pairs);
}

/** A host end of one agent connection. */
export class AgentHost {
  readonly proc: ChildProcess;
  readonly sessions = new Map<number, SessionState>();
  /** Every frame from the agent, in order. */
  readonly frames: Frame[] = [];
  /** Every byte from the agent, as it came. */
  readonly raw: Buffer[] = [];
  /** ERROR texts on session 0. */
  readonly protocolErrors: string[] = [];
  hello?: Array<[string, string]>;
  readonly exited: Promise<Exited>;
  stderr = '';
  /** false: the test hands out CREDIT itself (flow control tests). */
  autoCredit = true;
  private readonly decoder = new FrameDecoder(GUEST_TYPES);
  private readonly waiters: Array<() => void> = [];
  decodeError?: Error;
  /** false: a frame the host's decoder refuses does not fail until() (the test looks at raw). */
  strict = true;
  private closed = false;

  constructor(argv: string[] = [AGENT_BIN, '--stdio']) {
    this.proc = spawn(argv[0] as string, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    // 'close', not 'exit': the agent's last frames may still be in the pipe at 'exit'.
    this.exited = new Promise((res) => this.proc.once('close', (code, signal) => res({ code, signal })));
    this.proc.stdin!.on('error', () => {}); // EPIPE once the agent has gone: the exit says why
    this.proc.stderr!.on('data', (b: Buffer) => (this.stderr += b.toString('utf8')));
    this.proc.stdout!.on('data', (b: Buffer) => {
      this.raw.push(b);
      try {
        for (const f of this.decoder.push(b)) this.onFrame(f);
      } catch (e) {
        this.decodeError = e as Error;
      }
      this.wake();
    });
    this.proc.once('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  session(id: number): SessionState {
    let s = this.sessions.get(id);
    if (!s) this.sessions.set(id, (s = { output: [], stdinCredit: 0 }));
    return s;
  }

  private onFrame(f: Frame): void {
    this.frames.push(f);
    if (f.type === T.G_HELLO) {
      this.hello = decodeKv(f.payload);
      return;
    }
    if (f.type === T.ERROR && f.session === 0) {
      this.protocolErrors.push(f.payload.toString('utf8'));
      return;
    }
    if (f.session === 0) return;
    const s = this.session(f.session);
    switch (f.type) {
      case T.STARTED:
        s.pid = Number(kvGet(decodeKv(f.payload), 'pid'));
        break;
      case T.STDOUT:
      case T.STDERR:
        s.output.push({ type: f.type, data: f.payload });
        if (this.autoCredit) this.send(f.session, T.CREDIT, encodeU32(f.payload.length));
        break;
      case T.EXIT: {
        const kv = decodeKv(f.payload);
        const code = kvGet(kv, 'code');
        const signal = kvGet(kv, 'signal');
        s.exit = code !== undefined ? { code: Number(code) } : { signal: Number(signal) };
        break;
      }
      case T.ERROR:
        s.error = f.payload.toString('utf8');
        break;
      case T.STDIN_CREDIT:
        s.stdinCredit += f.payload.readUInt32BE(0);
        break;
    }
  }

  write(bytes: Buffer): void {
    if (this.proc.stdin!.writable) this.proc.stdin!.write(bytes);
  }

  send(session: number, type: number, payload?: Buffer): void {
    this.write(encodeFrame(session, type, payload));
  }

  /** SYNC and HELLO version=1 (or another version). */
  greet(version: number | string = 1): void {
    this.write(Buffer.concat([SYNC, encodeFrame(0, T.HELLO, encodeKv([['version', version]]))]));
  }

  /** Starts a session (forgetting what an earlier session of that id collected). */
  exec(session: number, o: ExecOptions): void {
    this.sessions.delete(session);
    this.send(session, T.EXEC, execPayload(o));
  }

  /** Resolves once cond() holds (checked after every chunk from the agent); rejects after ms. */
  async until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (this.decodeError && this.strict) throw this.decodeError;
      if (this.closed) {
        if (cond()) return;
        throw new Error(`agent exited (${this.proc.exitCode ?? this.proc.signalCode}) while waiting for ${what}; stderr: ${this.stderr}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  /** Until the session has ended (EXIT or ERROR). */
  async ended(session: number, ms = 10_000): Promise<SessionState> {
    const s = this.session(session);
    await this.until(() => s.exit !== undefined || s.error !== undefined, ms, `session ${session} to end`);
    return s;
  }

  /** Runs one command to its end. */
  async run(session: number, o: ExecOptions, ms = 10_000): Promise<SessionState> {
    this.exec(session, o);
    return this.ended(session, ms);
  }

  /** Closes stdin (the agent must end every session and exit 0) and waits for the exit. */
  async stop(): Promise<Exited> {
    this.proc.stdin!.end();
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    const r = await this.exited;
    clearTimeout(t);
    return r;
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}
