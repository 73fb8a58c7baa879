/**
 * Terminal sessions, owned by the main process: many per workspace, each a
 * process with a terminal started through the driver's `spawn` (a login
 * shell unless a command is given). Output is redacted, kept as
 * scrollback for reattaching, recorded as asciicast, and flow-controlled
 * with acknowledgements (as VS Code does: pause above a high watermark of
 * unacknowledged characters, resume below a low one).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { BenchtopError, type TerminalInfo, type Workspace } from '../../../src-preload/contract';
import { onlyLinesStartingWith, SANDBOX_LINES_MAX } from '../process/sandbox-lines';
import type { SandboxProcess, SpawnRequest } from '../process/types';
import { exitCodeOf } from '../runner/runner';
import { createStreamRedactor, type StreamRedactor } from '../secrets/redact';
import { notRunning } from '../workspaces/exec';
import type { WorkspaceService } from '../workspaces/service';
import { EXEC_MARKER } from '../drivers/podman/argv';
import { AsciicastWriter } from './asciicast';
import { shellForeground, type Foreground } from './foreground';
import { Scrollback } from './scrollback';

export const FLOW_HIGH_WATERMARK = 100_000;
export const FLOW_LOW_WATERMARK = 5_000;
const SCROLLBACK_CHARS = 512 * 1024;
/** node-pty can report exit before the last output arrives: wait for quiet before closing the books. */
const EXIT_DRAIN_MS = 150;
/** A held-back possible secret prefix is released after this long without more output. */
const REDACT_HOLD_MS = 40;
const COALESCE_MS = 2;
const COALESCE_MAX_CHARS = 64 * 1024;
/** Paused output resumes anyway after this long without acknowledgements. */
const UNACKED_RESUME_MS = 3000;
export interface TerminalListener {
  data(id: string, data: string): void;
  changed(info: TerminalInfo, closed: boolean): void;
}

interface Session {
  info: TerminalInfo;
  ws: Workspace;
  proc: SandboxProcess;
  req: SpawnRequest;
  /**
   * The first output, while it may be the sandbox's own words for a shell
   * it could not start (podman: "Error: unable to find user …"): shown
   * once it is known to be the shell's, or replaced by one line of ours.
   */
  opening: string | null;
  /** The terminal's bytes as text (a character split between reads stays whole). */
  decoder: StringDecoder;
  scrollback: Scrollback;
  recorder: AsciicastWriter;
  redactor: StreamRedactor;
  holdTimer?: NodeJS.Timeout;
  outQueue: string[];
  outQueued: number;
  outTimer?: NodeJS.Timeout;
  unacked: number;
  paused: boolean;
  /** False once acks stopped coming (no viewer): then output is never paused. */
  viewerAcking: boolean;
  stallTimer?: NodeJS.Timeout;
  startedMs: number;
  startedAt: string;
  lastDataMs: number;
  finished: Promise<void>;
  client: string;
  /** Its journal entry, written when it started. */
  seq: number;
  /** Who closed it (terminals.close), when a user did. */
  closedBy?: string;
}

export class TerminalService {
  private readonly sessions = new Map<string, Session>();
  private readonly listeners = new Set<Partial<TerminalListener>>();

  constructor(private readonly workspaces: WorkspaceService) {}

  on(listener: Partial<TerminalListener>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private get(id: string): Session {
    const s = this.sessions.get(id);
    if (!s) throw new BenchtopError('NOT_FOUND', `no terminal ${id}`, { id });
    return s;
  }

  /**
   * Coalesces PTY reads (~4 KB each) for a couple of milliseconds before they
   * go out as one event: a flood then costs a tenth of the messages, while a
   * keystroke's echo waits at most COALESCE_MS.
   */
  private queueData(s: Session, data: string): void {
    if (!data) return;
    s.outQueue.push(data);
    s.outQueued += data.length;
    if (s.outQueued >= COALESCE_MAX_CHARS) this.flushData(s);
    else s.outTimer ??= setTimeout(() => this.flushData(s), COALESCE_MS);
  }

  private flushData(s: Session): void {
    if (s.outTimer) clearTimeout(s.outTimer);
    s.outTimer = undefined;
    if (s.outQueued === 0) return;
    const data = s.outQueue.join('');
    s.outQueue = [];
    s.outQueued = 0;
    this.emitData(s, data);
  }

  private emitData(s: Session, data: string): void {
    if (!data) return;
    s.scrollback.push(data);
    s.recorder.output(data);
    s.unacked += data.length;
    if (s.viewerAcking && !s.paused && s.unacked > FLOW_HIGH_WATERMARK) {
      s.paused = true;
      s.proc.pause();
      // A live viewer acks within milliseconds. If none does (window closed, client gone),
      // the job must not stall: resume, and stop pausing until a viewer acks again —
      // the scrollback ring absorbs the output meanwhile.
      s.stallTimer = setTimeout(() => {
        if (!s.paused) return;
        s.paused = false;
        s.viewerAcking = false;
        s.unacked = 0;
        s.proc.resume();
      }, UNACKED_RESUME_MS);
    }
    for (const l of this.listeners) l.data?.(s.info.id, data);
  }

  private emitChanged(s: Session, closed = false): void {
    for (const l of this.listeners) l.changed?.({ ...s.info }, closed);
  }

  async open(ref: string, opts: { cols: number; rows: number; title?: string; client: string; user?: string }): Promise<TerminalInfo> {
    const ws = this.workspaces.registry.get(ref);
    if (ws.state !== 'running') throw notRunning(ws);
    const id = randomBytes(8).toString('hex');
    const secretEnv = await this.workspaces.secrets.get(ws.id);
    const secretValues = await this.workspaces.secrets.allValues();
    const driver = this.workspaces.driver(ws.backend);
    const cwd = driver.defaultCwd(ws);
    // SLURM placement: the shell runs inside the allocation, through `srun --pty --overlap`.
    const via = this.workspaces.carrier(ws);
    const count = [...this.sessions.values()].filter((s) => s.ws.id === ws.id).length;
    const title = opts.title ?? `shell ${count + 1}`;
    const startedMs = Date.now();
    // Journaled when it starts, so a session whose host dies is still there (completed as interrupted by the watchdog).
    const kill = driver.killSpec(ws, id, via?.pipes);
    const entry = await this.workspaces.beginRunning(
      ws,
      {
        workspaceId: ws.id,
        source: 'terminal',
        command: title,
        argv: null,
        cwd,
        ...(opts.user ? { user: opts.user } : {}),
        client: opts.client,
        startedAt: new Date(startedMs).toISOString(),
        durationMs: 0,
        exitCode: null,
        timedOut: false,
        event: null,
        detail: null,
        recording: `terminals/${id}.cast`,
      },
      id,
      kill,
    );
    const ready: { session?: Session } = {};
    /** Output that came before the session exists. */
    const early: Buffer[] = [];
    let proc: SandboxProcess;
    const req: SpawnRequest = { cwd, env: {}, secretEnv, id, stdin: true, tty: { cols: opts.cols, rows: opts.rows }, ...(via ? { via } : {}), ...(opts.user ? { user: opts.user } : {}) };
    try {
      proc = await driver.spawn(ws, req, (_stream, chunk) => (ready.session ? this.received(ready.session, chunk) : early.push(chunk)));
    } catch (err) {
      await this.workspaces.endRunning(ws, entry.seq, id, { status: 'not-run', reason: err instanceof Error ? err.message : String(err) }).catch(() => undefined);
      throw err;
    }
    const info: TerminalInfo = {
      id,
      workspaceId: ws.id,
      workspaceName: ws.name,
      title,
      cols: opts.cols,
      rows: opts.rows,
      createdAt: new Date(startedMs).toISOString(),
      exitCode: null,
      running: true,
    };
    let finish!: () => void;
    const created: Session = {
      info,
      ws,
      proc,
      req,
      opening: proc.failurePrefix ? '' : null,
      decoder: new StringDecoder('utf8'),
      scrollback: new Scrollback(SCROLLBACK_CHARS),
      recorder: new AsciicastWriter(join(this.workspaces.registry.dir(ws.id), 'terminals', `${id}.cast`), { width: opts.cols, height: opts.rows, title }),
      redactor: createStreamRedactor(secretValues),
      outQueue: [],
      outQueued: 0,
      unacked: 0,
      paused: false,
      viewerAcking: true,
      startedMs,
      startedAt: info.createdAt,
      lastDataMs: startedMs,
      finished: new Promise<void>((r) => (finish = r)),
      client: opts.client,
      seq: entry.seq,
    };
    ready.session = created;
    this.sessions.set(id, created);
    for (const chunk of early.splice(0)) this.received(created, chunk);
    void proc.exited.then((exit) => this.finishSession(created, exitCodeOf(exit))).then(finish);
    this.emitChanged(created);
    return { ...info };
  }

  /** Output from the terminal: redacted (a possible secret's start held back briefly), then queued for viewers. */
  private received(s: Session, chunk: Buffer): void {
    s.lastDataMs = Date.now();
    let text = s.decoder.write(chunk);
    if (s.opening !== null) {
      s.opening += text;
      if (s.opening.length <= SANDBOX_LINES_MAX && onlyLinesStartingWith(s.opening, s.proc.failurePrefix as string)) return;
      text = s.opening;
      s.opening = null;
    }
    this.queueData(s, s.redactor.push(text));
    if (s.holdTimer) clearTimeout(s.holdTimer);
    if (s.redactor.holding) s.holdTimer = setTimeout(() => this.queueData(s, s.redactor.flush()), REDACT_HOLD_MS);
  }

  private async finishSession(s: Session, exitCode: number): Promise<void> {
    // Let the last output arrive (node-pty may report exit first).
    for (let i = 0; i < 20 && Date.now() - s.lastDataMs < EXIT_DRAIN_MS; i++) await new Promise((r) => setTimeout(r, EXIT_DRAIN_MS));
    if (s.holdTimer) clearTimeout(s.holdTimer);
    const failure = await this.sandboxFailure(s, exitCode);
    if (s.opening !== null && !failure) this.queueData(s, s.redactor.push(s.opening));
    s.opening = null;
    this.queueData(s, s.redactor.push(s.decoder.end()));
    this.queueData(s, s.redactor.flush());
    this.flushData(s);
    s.info.exitCode = exitCode;
    s.info.running = false;
    if (failure) s.info.failure = s.redactor.push(failure.reason) + s.redactor.flush();
    await s.recorder.close();
    // Ending the client (podman exec, srun) can leave the shell's tree running inside: end it there too.
    await s.proc.killTree().catch(() => undefined);
    // A session the user closed ended because they said so: it has no exit code of its own (the
    // shell's 129 is the hangup Benchtop sent), and it did not fail.
    const ending = failure
      ? { exitCode: null, reason: failure.reason, status: 'not-run' as const }
      : s.closedBy !== undefined
        ? { exitCode: null, reason: s.closedBy, status: 'completed' as const }
        : { exitCode, status: 'completed' as const };
    await this.workspaces
      .endRunning(s.ws, s.seq, s.info.id, { durationMs: Date.now() - s.startedMs, ...ending })
      .catch(() => undefined); // The workspace may have been removed meanwhile.
    this.emitChanged(s);
  }

  /** Whether the sandbox, not the shell, ended it before it ran (only what it said so far is looked at). */
  private async sandboxFailure(s: Session, exitCode: number) {
    const driver = this.workspaces.driver(s.ws.backend);
    if (s.opening === null || !s.opening || exitCode === 0 || s.closedBy !== undefined || !driver.diagnose) return null;
    const failure = await driver.diagnose(s.ws, s.req, { exitCode, stderrTail: s.opening.replace(/\r\n/g, '\n') }).catch(() => null);
    return failure?.notRun ? failure : null;
  }

  list(ref?: string): TerminalInfo[] {
    const wsId = ref ? this.workspaces.registry.get(ref).id : undefined;
    return [...this.sessions.values()].filter((s) => !wsId || s.ws.id === wsId).map((s) => ({ ...s.info }));
  }

  attach(id: string): { terminal: TerminalInfo; scrollback: string } {
    const s = this.get(id);
    // A new viewer starts with nothing unacknowledged: it renders the scrollback itself.
    s.unacked = 0;
    s.viewerAcking = true;
    if (s.paused) {
      s.paused = false;
      // Its stall timer goes with the pause: left, it would cut the next pause short and stop flow control.
      if (s.stallTimer) clearTimeout(s.stallTimer);
      s.proc.resume();
    }
    return { terminal: { ...s.info }, scrollback: s.scrollback.text() };
  }

  write(id: string, data: string): void {
    const s = this.get(id);
    if (!s.info.running) throw new BenchtopError('CONFLICT', `terminal "${s.info.title}" has ended (exit code ${s.info.exitCode})`);
    s.proc.write(data);
  }

  /**
   * Resizes the PTY (the program in it gets SIGWINCH and redraws). Asking for
   * the size it already has makes the program redraw all the same: a viewer
   * that reattaches (a reload) does so to get a full-screen program's screen
   * drawn again at its size.
   */
  resize(id: string, cols: number, rows: number): void {
    const s = this.get(id);
    if (!s.info.running) return;
    const same = s.info.cols === cols && s.info.rows === rows;
    s.info.cols = cols;
    s.info.rows = rows;
    if (!same) s.recorder.resize(cols, rows);
    if (same) {
      // The kernel signals only a change of size: step through another one.
      s.proc.resize(cols, rows > 1 ? rows - 1 : rows + 1);
    }
    s.proc.resize(cols, rows);
  }

  ack(id: string, chars: number): void {
    const s = this.get(id);
    s.viewerAcking = true;
    s.unacked = Math.max(0, s.unacked - chars);
    if (s.paused && s.unacked < FLOW_LOW_WATERMARK) {
      s.paused = false;
      if (s.stallTimer) clearTimeout(s.stallTimer);
      s.proc.resume();
    }
  }

  rename(id: string, title: string): TerminalInfo {
    const s = this.get(id);
    s.info.title = title;
    this.emitChanged(s);
    return { ...s.info };
  }

  /**
   * Whether the shell runs a program in the foreground, so closing it would end that program.
   * A shell whose processes this host cannot see (on another node, under gVisor's kernel): unknown from here.
   */
  busy(id: string): Foreground {
    const s = this.get(id);
    if (!s.info.running) return { busy: false };
    if (!s.proc.hostVisible || s.proc.pid === undefined) return { busy: null };
    return shellForeground(s.proc.pid, `${EXEC_MARKER}=${s.info.id}`);
  }

  /** Ends a session because a user (or the host shutting down) said so: journaled as closed, with `by` as the reason. */
  async close(id: string, by = `closed by ${this.get(id).client}`): Promise<void> {
    const s = this.get(id);
    if (s.info.running) {
      s.closedBy ??= by;
      s.proc.kill();
      await Promise.race([s.finished, new Promise((r) => setTimeout(r, 5000))]);
    }
    this.sessions.delete(id);
    this.emitChanged(s, true);
  }

  /** Ends every session (host shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id, 'closed: Benchtop shut down').catch(() => undefined)));
  }
}
