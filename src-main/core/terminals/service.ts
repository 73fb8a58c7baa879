/**
 * Terminal sessions, owned by the main process: many per workspace, each a
 * PTY running the driver's shell command. Output is redacted, kept as
 * scrollback for reattaching, recorded as asciicast, and flow-controlled
 * with acknowledgements (as VS Code does: pause above a high watermark of
 * unacknowledged characters, resume below a low one).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BenchtopError, type TerminalInfo, type Workspace } from '../../../src-preload/contract';
import type { TerminalSource } from '../drivers/types';
import { createStreamRedactor, type StreamRedactor } from '../secrets/redact';
import type { WorkspaceService } from '../workspaces/service';
import { EXEC_MARKER } from '../drivers/podman/argv';
import { AsciicastWriter } from './asciicast';
import { shellForeground, type Foreground } from './foreground';
import { startPty, type PtyProcess } from './pty';
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
/**
 * `srun --pty` waits in accept() for the job step's pty connection, and a
 * SIGWINCH arriving meanwhile makes it print "srun: error: pty: accept
 * failure: Interrupted system call" and stop forwarding window sizes for good.
 * So a SLURM terminal is not resized until the step has shown output (then
 * its pty connection is up), plus this margin; the last size asked for is
 * applied then.
 */
const SRUN_PTY_SETTLE_MS = 150;

export interface TerminalListener {
  data(id: string, data: string): void;
  changed(info: TerminalInfo, closed: boolean): void;
}

interface Session {
  info: TerminalInfo;
  ws: Workspace;
  pty: PtyProcess;
  source: TerminalSource;
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
  /** Set while resizes must wait (srun --pty not connected yet): the size to apply once they may go through. */
  heldResize?: { cols: number; rows: number } | null;
  releaseTimer?: NodeJS.Timeout;
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
      s.pty.pause();
      // A live viewer acks within milliseconds. If none does (window closed, client gone),
      // the job must not stall: resume, and stop pausing until a viewer acks again —
      // the scrollback ring absorbs the output meanwhile.
      s.stallTimer = setTimeout(() => {
        if (!s.paused) return;
        s.paused = false;
        s.viewerAcking = false;
        s.unacked = 0;
        s.pty.resume();
      }, UNACKED_RESUME_MS);
    }
    for (const l of this.listeners) l.data?.(s.info.id, data);
  }

  private emitChanged(s: Session, closed = false): void {
    for (const l of this.listeners) l.changed?.({ ...s.info }, closed);
  }

  async open(ref: string, opts: { cols: number; rows: number; title?: string; client: string; user?: string }): Promise<TerminalInfo> {
    const ws = this.workspaces.registry.get(ref);
    if (ws.state !== 'running') {
      throw new BenchtopError('CONFLICT', `workspace "${ws.name}" is ${ws.state}${ws.reason ? ` (${ws.reason})` : ''}: start it first`);
    }
    const id = randomBytes(8).toString('hex');
    const secretEnv = await this.workspaces.secrets.get(ws.id);
    const secretValues = await this.workspaces.secrets.allValues();
    const base = this.workspaces.driver(ws.backend).shellCommand(ws, { sessionId: id, secretEnv, ...(opts.user ? { user: opts.user } : {}) });
    // SLURM placement: the shell runs inside the allocation, through `srun --pty --overlap`.
    const source: TerminalSource = ws.placement.kind === 'slurm' && base.kind === 'argv' ? { ...base, prefix: this.workspaces.slurm.prefix(ws, true) } : base;
    const count = [...this.sessions.values()].filter((s) => s.ws.id === ws.id).length;
    const title = opts.title ?? `shell ${count + 1}`;
    const startedMs = Date.now();
    // Journaled when it starts, so a session whose host dies is still there (completed as interrupted by the watchdog).
    const kill = this.workspaces.driver(ws.backend).killSpec(ws, id, ws.placement.kind === 'slurm' ? this.workspaces.slurm.prefix(ws) : undefined);
    const entry = await this.workspaces.beginRunning(
      ws,
      {
        workspaceId: ws.id,
        source: 'terminal',
        command: title,
        argv: null,
        cwd: this.workspaces.driver(ws.backend).defaultCwd(ws),
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
    let pty: PtyProcess;
    try {
      pty = await startPty(source, opts.cols, opts.rows);
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
    const session: Session = {
      info,
      ws,
      pty,
      source,
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
      heldResize: source.kind === 'argv' && source.prefix?.includes('--pty') ? null : undefined,
    };
    this.sessions.set(id, session);
    pty.onData((chunk) => {
      session.lastDataMs = Date.now();
      if (session.heldResize !== undefined && !session.releaseTimer) session.releaseTimer = setTimeout(() => this.releaseResize(session), SRUN_PTY_SETTLE_MS);
      this.queueData(session, session.redactor.push(chunk));
      if (session.holdTimer) clearTimeout(session.holdTimer);
      if (session.redactor.holding) session.holdTimer = setTimeout(() => this.queueData(session, session.redactor.flush()), REDACT_HOLD_MS);
    });
    pty.onExit((exitCode) => void this.finishSession(session, exitCode).then(finish));
    this.emitChanged(session);
    return { ...info };
  }

  private async finishSession(s: Session, exitCode: number): Promise<void> {
    // Let the last output arrive (node-pty may report exit first).
    for (let i = 0; i < 20 && Date.now() - s.lastDataMs < EXIT_DRAIN_MS; i++) await new Promise((r) => setTimeout(r, EXIT_DRAIN_MS));
    if (s.holdTimer) clearTimeout(s.holdTimer);
    this.queueData(s, s.redactor.flush());
    this.flushData(s);
    if (s.releaseTimer) clearTimeout(s.releaseTimer);
    s.info.exitCode = exitCode;
    s.info.running = false;
    await s.recorder.close();
    await s.source.cleanup?.().catch(() => undefined);
    // A session the user closed ended because they said so: it has no exit code of its own (the
    // shell's 129 is the hangup Benchtop sent), and it did not fail.
    const ending = s.closedBy !== undefined ? { exitCode: null, reason: s.closedBy } : { exitCode };
    await this.workspaces
      .endRunning(s.ws, s.seq, s.info.id, { durationMs: Date.now() - s.startedMs, ...ending, status: 'completed' })
      .catch(() => undefined); // The workspace may have been removed meanwhile.
    this.emitChanged(s);
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
      s.pty.resume();
    }
    return { terminal: { ...s.info }, scrollback: s.scrollback.text() };
  }

  write(id: string, data: string): void {
    const s = this.get(id);
    if (!s.info.running) throw new BenchtopError('CONFLICT', `terminal "${s.info.title}" has ended (exit code ${s.info.exitCode})`);
    s.pty.write(data);
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
    if (s.heldResize !== undefined) {
      s.heldResize = { cols, rows };
      return;
    }
    if (same) {
      // The kernel signals only a change of size: step through another one.
      s.pty.resize(cols, rows > 1 ? rows - 1 : rows + 1);
    }
    s.pty.resize(cols, rows);
  }

  /** The srun --pty connection is up: resizes go through now, starting with the last one asked for. */
  private releaseResize(s: Session): void {
    const want = s.heldResize;
    s.heldResize = undefined;
    s.releaseTimer = undefined;
    if (!s.info.running || !want) return;
    s.pty.resize(want.cols, want.rows);
  }

  ack(id: string, chars: number): void {
    const s = this.get(id);
    s.viewerAcking = true;
    s.unacked = Math.max(0, s.unacked - chars);
    if (s.paused && s.unacked < FLOW_LOW_WATERMARK) {
      s.paused = false;
      if (s.stallTimer) clearTimeout(s.stallTimer);
      s.pty.resume();
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
   * A SLURM shell runs on another node: unknown from here.
   */
  busy(id: string): Foreground {
    const s = this.get(id);
    if (!s.info.running) return { busy: false };
    if (s.ws.placement.kind === 'slurm') return { busy: null };
    return shellForeground(s.pty.pid, `${EXEC_MARKER}=${s.info.id}`);
  }

  /** Ends a session because a user (or the host shutting down) said so: journaled as closed, with `by` as the reason. */
  async close(id: string, by = `closed by ${this.get(id).client}`): Promise<void> {
    const s = this.get(id);
    if (s.info.running) {
      s.closedBy ??= by;
      s.pty.kill();
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
