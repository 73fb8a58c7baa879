/**
 * Exec: one command in a running workspace, built once over every driver.
 * The driver starts it (spawn, the one process protocol) and says how to end
 * its tree from outside (killSpec); everything else happens here:
 *
 * - the journal entry is written when the command starts (running) and
 *   completed when it ends, its output stored as it arrives (capped);
 * - the command is registered with the watchdog, so it dies with its owner;
 * - output streams to the caller byte-exact, secrets redacted on the bytes;
 * - stdin is forwarded when asked for, and is otherwise empty;
 * - a timeout kills the tree inside the sandbox (exit 124);
 * - a sandbox failure (no such cwd, pids limit, container removed) is never
 *   passed off as the command's exit code: the entry says not-run or
 *   interrupted, with the reason, and the caller gets an error.
 */
import { randomUUID } from 'node:crypto';
import { isAbsolute, posix } from 'node:path';
import { BenchtopError, type ExecInput, type ExecResult, type JournalEntry, type Workspace } from '../../../src-preload/contract';
import type { Driver, SandboxFailure } from '../drivers/types';
import { onlyLinesStartingWith, SANDBOX_LINES_MAX } from '../process/sandbox-lines';
import type { Carrier, ProcessExit, SandboxProcess, SpawnRequest } from '../process/types';
import type { Journal, NewEntry } from '../journal/journal';
import { exitCodeOf, type Runner } from '../runner/runner';
import { createByteRedactor } from '../secrets/redact-bytes';
import { splitSensitive, type Redactor } from '../secrets/redact';
import { ensureWatchdog } from '../watchdog/ensure';
import { registerRunning, setClient, unregisterRunning } from '../watchdog/running';
import { displayCommand } from './quote';

/** Bytes of each stream kept in the journal (and in the result); the stream itself is never cut. */
export const OUTPUT_CAP = 1024 * 1024;
const STDERR_TAIL = SANDBOX_LINES_MAX;

export type OutputStream = 'stdout' | 'stderr';

export interface ExecIO {
  /** Output as it arrives: the command's bytes exactly, secrets redacted. */
  onOutput?(stream: OutputStream, chunk: Buffer): void;
}

/** What exec needs of the workspace service. */
export interface ExecHost {
  readonly home: string;
  readonly runner: Runner;
  now(): number;
  driver(ws: Workspace): Driver;
  journal(ws: Workspace): Journal;
  secretsOf(ws: Workspace): Promise<Record<string, string>>;
  redactor(extra?: Iterable<string>): Promise<Redactor>;
  /** What carries a process into the workspace's placement (SLURM: srun into the allocation). */
  carrier(ws: Workspace): Carrier | undefined;
  /** Tells listeners that an entry was written or completed. */
  announce(ws: Workspace, entry: JournalEntry): void;
  /** The workspace's state as the backend sees it now (after a sandbox failure). */
  reconcile(ws: Workspace): Promise<Workspace>;
  /** Whether this process should start the watchdog (tests of state logic turn it off). */
  readonly watchdog: boolean;
}

/** A command started by this process that still runs: its stdin and its cancel. */
interface Live {
  input(data: Buffer): Promise<void>;
  end(): void;
  cancel(): void;
}

/** Holds what arrives before the process exists, then hands it to the process. */
class PendingLive implements Live {
  private queue: Buffer[] = [];
  private ended = false;
  private cancelled = false;
  private target: { proc: SandboxProcess; cancel(): void } | null = null;

  attach(proc: SandboxProcess, cancel: () => void): void {
    this.target = { proc, cancel };
    for (const b of this.queue) void proc.write(b);
    this.queue = [];
    if (this.ended) proc.end();
    if (this.cancelled) cancel();
  }
  async input(data: Buffer): Promise<void> {
    if (!this.target) {
      this.queue.push(data);
      return;
    }
    // Resolves once written: a caller that awaits each chunk never outruns the command.
    await this.target.proc.write(data);
  }
  end(): void {
    this.ended = true;
    this.target?.proc.end();
  }
  cancel(): void {
    this.cancelled = true;
    this.target?.cancel();
  }
}

export class Executor {
  private readonly live = new Map<string, Live>();

  constructor(private readonly host: ExecHost) {}

  /** Claims an exec id before anything awaits, so input sent right after the request finds it. */
  reserve(input: ExecInput): string {
    const execId = input.execId ?? randomUUID();
    if (this.live.has(execId)) throw new BenchtopError('CONFLICT', `execId: ${execId} is already running`, { field: 'execId' });
    this.live.set(execId, new PendingLive());
    return execId;
  }

  release(execId: string): void {
    this.live.delete(execId);
  }

  async input(execId: string, data: Buffer | null, eof: boolean): Promise<void> {
    const live = this.live.get(execId);
    if (!live) throw new BenchtopError('NOT_FOUND', `no running exec ${execId}`, { field: 'execId' });
    if (data?.length) await live.input(data);
    if (eof) live.end();
  }

  cancel(execId: string): void {
    const live = this.live.get(execId);
    if (!live) throw new BenchtopError('NOT_FOUND', `no running exec ${execId}`, { field: 'execId' });
    live.cancel();
  }

  /** Runs a reserved exec in a running workspace. */
  async run(ws: Workspace, execId: string, input: ExecInput, client: string, io: ExecIO): Promise<ExecResult> {
    const { host } = this;
    const driver = host.driver(ws);
    const entry = execEntry(ws, input, driver.defaultCwd(ws), client, new Date(host.now()).toISOString());
    const argv = entry.argv as string[];
    const cwd = entry.cwd as string;
    const { plain, secret } = splitSensitive(input.env ?? {});
    const secretEnv = { ...(await host.secretsOf(ws)), ...secret };
    const redactor = await host.redactor(Object.values(secret));
    let timeoutMs = (input.timeoutSec ?? ws.limits.execTimeoutSec) * 1000;
    // The TTL ends the workspace: a command never outlives it, whatever else holds the sandbox.
    const ttlLeftMs = ws.expiresAt ? Date.parse(ws.expiresAt) - host.now() : Infinity;
    const byTtl = ttlLeftMs < timeoutMs;
    if (byTtl) timeoutMs = Math.max(0, ttlLeftMs);
    const via = host.carrier(ws);
    const req: SpawnRequest = { argv, cwd, env: plain, secretEnv, id: execId, stdin: input.stdin === true, ...(via ? { via } : {}), ...(input.user ? { user: input.user } : {}) };
    const journal = host.journal(ws);

    const begun = await journal.begin(redactor.value(entry));
    host.announce(ws, begun);
    const seq = begun.seq;
    const startedMs = performance.now();
    const finish = async (patch: Partial<JournalEntry>): Promise<JournalEntry> => {
      const done = await journal.complete(seq, redactor.value({ durationMs: Math.round(performance.now() - startedMs), ...patch }));
      host.announce(ws, done);
      return done;
    };

    const kill = driver.killSpec(ws, execId, via?.pipes);
    const running = registerRunning(host.home, { execId, workspaceId: ws.id, seq, startedAt: begun.startedAt, kill });
    if (host.watchdog) ensureWatchdog(host.home);

    const ready: { streams?: { stdout: StreamCopy; stderr: StreamCopy } } = {};
    /** Output that came before the streams exist (they need the process's failure prefix). */
    const early: [OutputStream, Buffer][] = [];
    const deliver = (stream: OutputStream, c: Buffer, to: { stdout: StreamCopy; stderr: StreamCopy }) => {
      // Output on stdout: the command runs, so what it said on stderr is its own.
      if (stream === 'stdout') to.stderr.release(false);
      to[stream].push(c);
    };
    let timedOut = false;
    let cancelled = false;
    let exit: ProcessExit;
    let proc: SandboxProcess;
    try {
      proc = await driver.spawn(ws, req, (stream, c) => (ready.streams ? deliver(stream, c, ready.streams) : early.push([stream, c])));
    } catch (err) {
      this.live.delete(execId);
      unregisterRunning(host.home, execId);
      const reason = redactor.text(err instanceof Error ? err.message : String(err));
      await finish({ status: 'not-run', reason });
      throw err instanceof BenchtopError ? new BenchtopError(err.code, reason, redactor.value(err.details)) : err;
    }
    const copies = {
      stdout: new StreamCopy(journal, seq, 'stdout', secretEnv, io),
      stderr: new StreamCopy(journal, seq, 'stderr', secretEnv, io, proc.failurePrefix),
    };
    for (const [stream, c] of early.splice(0)) deliver(stream, c, copies);
    ready.streams = copies;
    try {
      setClient(host.home, running, proc.pid);
      const live = this.live.get(execId);
      if (live instanceof PendingLive) {
        live.attach(proc, () => {
          cancelled = true;
          proc.kill();
        });
      }
      const timer = setTimeout(() => {
        timedOut = true;
        proc.kill();
      }, timeoutMs);
      exit = await proc.exited;
      clearTimeout(timer);
    } finally {
      this.live.delete(execId);
    }

    // Killing the client (podman exec, srun) leaves the command running inside: end its tree there.
    const cleanupError = timedOut || cancelled ? await proc.killTree() : undefined;
    if (timedOut) {
      copies.stderr.note(byTtl ? `benchtop: the workspace's TTL ran out; the command was killed\n` : `benchtop: timed out after ${timeoutMs / 1000} s; the command was killed\n`);
    }
    if (cleanupError) copies.stderr.note(`benchtop: could not stop the command inside the sandbox: ${redactor.text(cleanupError)}\n`);
    copies.stdout.close();
    copies.stderr.close();

    let failure: SandboxFailure | null = null;
    if (exit.spawnError !== undefined) failure = spawnFailure(ws, exit.spawnError);
    else if (!timedOut && !cancelled && exitCodeOf(exit) !== 0 && driver.diagnose) {
      failure = await driver.diagnose(ws, req, { exitCode: exitCodeOf(exit), stderrTail: copies.stderr.tail() }).catch(() => null);
    }
    // The sandbox's own words stay in the journal; the caller gets Benchtop's one line instead.
    copies.stderr.release(failure !== null);
    const exitCode = timedOut ? 124 : exitCodeOf(exit);
    const outputs = { stdout: copies.stdout.info(), stderr: copies.stderr.info() };
    try {
      if (failure) {
        await finish({ status: failure.notRun ? 'not-run' : 'interrupted', reason: failure.reason, exitCode: null, ...outputs });
      } else if (cancelled) {
        await finish({ status: 'interrupted', reason: `cancelled by ${client}; the command was killed`, exitCode: null, ...outputs });
      } else {
        await finish({ status: 'completed', exitCode, timedOut, detail: cleanupError ?? null, ...(byTtl && timedOut ? { reason: "the workspace's TTL ran out" } : {}), ...outputs });
      }
    } finally {
      unregisterRunning(host.home, execId);
    }

    if (failure) {
      if (failure.notRunning) {
        throw notRunning(await host.reconcile(ws), { seq });
      }
      if (failure.notRun === false) await host.reconcile(ws);
      // The reason may hold a path the user typed: it is redacted like everything else shown.
      throw new BenchtopError(failure.field ? 'INVALID_INPUT' : 'BACKEND_FAILED', redactor.text(failure.reason), { seq, ...(failure.field ? { field: failure.field } : {}) });
    }
    if (cancelled) throw new BenchtopError('CANCELLED', `the command was cancelled (journal entry ${seq})`, { seq });
    return {
      seq,
      exitCode,
      stdout: copies.stdout.text(),
      stderr: copies.stderr.text(),
      durationMs: Math.round(performance.now() - startedMs),
      timedOut,
      stdoutTruncated: outputs.stdout.truncated,
      stderrTruncated: outputs.stderr.truncated,
    };
  }
}

/** What a caller hears who asks a workspace that is not running to run something. */
export function notRunning(ws: Pick<Workspace, 'name' | 'state' | 'reason'>, details?: Record<string, unknown>): BenchtopError {
  return new BenchtopError('CONFLICT', `workspace "${ws.name}" is ${ws.state}${ws.reason ? ` (${ws.reason})` : ''}: start it first`, details);
}

/** The journal entry of an exec request as it starts (or is refused before it could): what, where, as whom. */
export function execEntry(ws: Workspace, input: ExecInput, defaultCwd: string, client: string, startedAt: string): NewEntry {
  const argv = input.argv ?? ['sh', '-lc', input.shell as string];
  return {
    workspaceId: ws.id,
    source: 'exec',
    command: input.shell ?? displayCommand(argv),
    argv,
    cwd: input.cwd ? (isAbsolute(input.cwd) ? input.cwd : posix.join(defaultCwd, input.cwd)) : defaultCwd,
    ...(input.user ? { user: input.user } : {}),
    client,
    startedAt,
    durationMs: 0,
    exitCode: null,
    timedOut: false,
    event: null,
    detail: null,
  };
}

/** A program that could not be started at all: the command line, or the backend, is at fault. */
function spawnFailure(ws: Workspace, spawnError: string): SandboxFailure {
  if (/E2BIG/.test(spawnError)) return { reason: 'argv: the command line is too long for this system', field: 'argv', notRun: true };
  return { reason: `${ws.backend}: could not start the command: ${spawnError}`, notRun: true };
}

/**
 * One output stream of a running command: redacted on the bytes, stored in
 * the journal as it arrives (capped), kept for the result (capped), handed
 * to the caller whole.
 */
class StreamCopy {
  private readonly redact;
  private readonly sink;
  private head: Buffer[] = [];
  private kept = 0;
  private last: Buffer = Buffer.alloc(0);
  /** What the caller has not been given yet, while it may be the sandbox's own failure. */
  private held: Buffer[] | null;
  private heldBytes = 0;

  constructor(
    journal: Journal,
    seq: number,
    private readonly stream: OutputStream,
    secrets: Record<string, string>,
    private readonly io: ExecIO,
    private readonly failurePrefix?: string,
  ) {
    this.redact = createByteRedactor(secrets);
    this.sink = journal.openOutput(seq, stream, OUTPUT_CAP);
    this.held = failurePrefix ? [] : null;
  }

  push(chunk: Buffer): void {
    this.deliver(this.redact.push(chunk));
  }

  /** Benchtop's own line on this stream (already redacted). */
  note(text: string): void {
    this.deliver(this.redact.flush());
    this.deliver(Buffer.from(text));
  }

  private deliver(b: Buffer): void {
    if (!b.length) return;
    this.sink.write(b);
    const room = OUTPUT_CAP - this.kept;
    if (room > 0) {
      const part = b.length > room ? b.subarray(0, room) : b;
      this.head.push(Buffer.from(part));
      this.kept += part.length;
    }
    // Only stderr's tail is read (by diagnose); stdout's would be a copy per chunk for nothing.
    if (this.stream === 'stderr') this.last = Buffer.concat([this.last, b]).subarray(-STDERR_TAIL);
    if (this.held) {
      this.held.push(Buffer.from(b));
      this.heldBytes += b.length;
      if (this.heldBytes > STDERR_TAIL || !onlyLinesStartingWith(Buffer.concat(this.held).toString('utf8'), this.failurePrefix as string)) this.release(false);
      return;
    }
    this.io.onOutput?.(this.stream, b);
  }

  /** Stops holding back: gives the caller what was held, or drops it (the sandbox failed; the journal has it). */
  release(drop: boolean): void {
    const held = this.held;
    if (!held) return;
    this.held = null;
    if (!drop) for (const b of held) this.io.onOutput?.(this.stream, b);
  }

  close(): void {
    this.deliver(this.redact.flush());
    this.sink.close();
  }

  info() {
    return this.sink.info();
  }

  /** The kept head, decoded for display. */
  text(): string {
    return Buffer.concat(this.head).toString('utf8');
  }

  /** The last bytes, decoded: what a driver reads to tell a sandbox failure from the command's. */
  tail(): string {
    return this.last.toString('utf8');
  }
}
