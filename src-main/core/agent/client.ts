/**
 * The host's end of a guest agent connection (guest/agent/PROTOCOL.md): a
 * hello, then processes as sessions, each one a SandboxProcess — so exec,
 * terminals, shells and copies run in a VM through the same protocol as
 * everywhere else. Flow control is the agent's credit: output the host has
 * not handed on (a paused handle) is never granted, so a flooding program
 * blocks in the guest. A session may also be a TCP connection the agent
 * makes to a port inside the guest (connectPort: published ports).
 */
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { constants } from 'node:os';
import type { ProcessExit, ProcessSink, SandboxProcess } from '../process/types';
import { decodeKv, encodeFrame, encodeKv, encodeResize, encodeU32, FrameDecoder, INITIAL_CREDIT, kvGet, MAX_SESSIONS, PROTOCOL_VERSION, SYNC, T, type Frame, GUEST_TYPES } from './frames';

/** Stdin bytes per frame: small enough that a terminal's keystrokes never wait behind a paste. */
const STDIN_CHUNK = 32 * 1024;

export interface AgentHello {
  version: number;
  agent: string;
  kernel: string;
}

export interface AgentExec {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  user?: string;
  tty?: { cols: number; rows: number };
}

export class AgentConnection {
  private readonly sessions = new Map<number, Session>();
  private nextId = 1;
  private closedWith: string | null = null;
  private readonly closeWaiters: Array<() => void> = [];

  private constructor(
    private readonly socket: Duplex,
    readonly hello: AgentHello,
    /** The handshake's decoder: it has found SYNC, and what follows comes without one. */
    private readonly decoder: FrameDecoder,
    rest: Frame[],
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.lost('the guest agent connection closed'));
    socket.on('close', () => this.lost('the guest agent connection closed'));
    socket.on('error', (e) => this.lost(`the guest agent connection failed: ${e.message}`));
    for (const f of rest) this.dispatch(f);
  }

  /** Connects to a Unix socket that speaks the protocol (the VM supervisor's, or Firecracker's vsock after CONNECT). */
  static async connect(path: string, timeoutMs = 10_000): Promise<AgentConnection> {
    const socket = connect(path);
    return AgentConnection.over(socket, timeoutMs);
  }

  /** Says hello over an open socket and waits for the guest's. */
  static over(socket: Duplex, timeoutMs = 10_000): Promise<AgentConnection> {
    return new Promise((resolve, reject) => {
      const decoder = new FrameDecoder(GUEST_TYPES);
      const fail = (why: string): void => {
        cleanup();
        socket.destroy();
        reject(new Error(why));
      };
      const timer = setTimeout(() => fail(`the guest agent did not answer within ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
      const onData = (chunk: Buffer): void => {
        let frames: Frame[];
        try {
          frames = decoder.push(chunk);
        } catch (e) {
          fail(`the guest agent spoke garbage: ${(e as Error).message}`);
          return;
        }
        if (frames.length === 0) return;
        const [first, ...rest] = frames as [Frame, ...Frame[]];
        if (first.type === T.ERROR) return fail(`the guest agent refused: ${first.payload.toString('utf8')}`);
        if (first.type !== T.G_HELLO || first.session !== 0) return fail('the guest agent did not say hello first');
        const kv = decodeKv(first.payload);
        const version = Number(kvGet(kv, 'version'));
        if (version !== PROTOCOL_VERSION) return fail(`the guest agent speaks protocol ${kvGet(kv, 'version') ?? '?'}, not ${PROTOCOL_VERSION}: rebuild the image`);
        cleanup();
        resolve(new AgentConnection(socket, { version, agent: kvGet(kv, 'agent') ?? '', kernel: kvGet(kv, 'kernel') ?? '' }, decoder, rest));
      };
      const onError = (e: Error): void => fail(`cannot reach the guest agent: ${e.message}`);
      const onClose = (): void => fail('the guest agent connection closed before its hello');
      const cleanup = (): void => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', onError);
        socket.off('close', onClose);
      };
      socket.on('data', onData);
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.write(Buffer.concat([SYNC, encodeFrame(0, T.HELLO, encodeKv([['version', PROTOCOL_VERSION]]))]));
    });
  }

  /** Starts a process in the guest; resolves once it runs (or with its spawnError in `exited`). */
  spawn(exec: AgentExec, sink: ProcessSink): Promise<SandboxProcess> {
    const pairs: Array<[string, string | number]> = exec.argv.map((a) => ['arg', a]);
    pairs.push(['cwd', exec.cwd]);
    for (const [k, v] of Object.entries(exec.env)) pairs.push(['env', `${k}=${v}`]);
    if (exec.user !== undefined) pairs.push(['user', exec.user]);
    pairs.push(['tty', exec.tty ? 1 : 0]);
    if (exec.tty) pairs.push(['cols', exec.tty.cols], ['rows', exec.tty.rows]);
    return this.open(pairs, sink, !!exec.tty);
  }

  /**
   * Opens a TCP connection to 127.0.0.1:port inside the guest, made by the
   * agent itself (no NIC needed): its bytes are the handle's stdout, `write`
   * sends to it, `end` half-closes it, `kill` closes it. Resolves once
   * connected; a refused connection resolves with the agent's one line
   * (`connect 127.0.0.1:PORT: Connection refused`) as `exited`'s spawnError.
   */
  connectPort(port: number, sink: ProcessSink): Promise<SandboxProcess> {
    if (!Number.isInteger(port) || port < 1 || port > 65535) return Promise.resolve(notStarted(`port ${port} is not a port number (1-65535)`));
    return this.open([['connect', port]], sink, false);
  }

  private open(pairs: Array<[string, string | number]>, sink: ProcessSink, tty: boolean): Promise<SandboxProcess> {
    if (this.closedWith) return Promise.resolve(notStarted(this.closedWith));
    if (this.sessions.size >= MAX_SESSIONS) return Promise.resolve(notStarted(`the guest runs ${MAX_SESSIONS} processes for this connection already`));
    const id = this.allocate();
    const session = new Session(id, this, sink, tty);
    this.sessions.set(id, session);
    try {
      this.send(id, T.EXEC, encodeKv(pairs));
    } catch (e) {
      this.sessions.delete(id);
      return Promise.resolve(notStarted((e as Error).message));
    }
    return session.started.then(() => session.handle);
  }

  /** Asks the guest to power off (its agent is pid 1). */
  shutdown(): void {
    if (!this.closedWith) this.send(0, T.SHUTDOWN);
  }

  /** Resolves when the connection is gone. */
  closed(): Promise<void> {
    if (this.closedWith) return Promise.resolve();
    return new Promise((ok) => this.closeWaiters.push(ok));
  }

  close(): void {
    this.socket.end();
    this.lost('closed by the host');
  }

  /** @internal for sessions */
  send(session: number, type: number, payload?: Buffer): boolean {
    if (this.closedWith) return false;
    return this.socket.write(encodeFrame(session, type, payload));
  }

  /** @internal for sessions: the socket's buffer drained. */
  onDrain(fn: () => void): void {
    this.socket.once('drain', fn);
  }

  /** @internal for sessions */
  forget(id: number): void {
    this.sessions.delete(id);
  }

  private allocate(): number {
    while (this.sessions.has(this.nextId) || this.nextId === 0) this.nextId = (this.nextId + 1) >>> 0;
    const id = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0;
    return id;
  }

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      this.socket.destroy();
      this.lost(`the guest agent spoke garbage: ${(e as Error).message}`);
      return;
    }
    for (const f of frames) this.dispatch(f);
  }

  private dispatch(f: Frame): void {
    if (f.session === 0) {
      if (f.type === T.ERROR) {
        this.socket.destroy();
        this.lost(`the guest agent dropped the connection: ${f.payload.toString('utf8')}`);
      }
      return;
    }
    this.sessions.get(f.session)?.onFrame(f);
  }

  private lost(why: string): void {
    if (this.closedWith) return;
    this.closedWith = why;
    for (const s of [...this.sessions.values()]) s.lost(why);
    this.sessions.clear();
    for (const w of this.closeWaiters.splice(0)) w();
  }
}

/** One process in the guest, as the host sees it. */
class Session {
  readonly handle: SandboxProcess;
  readonly started: Promise<void>;
  private markStarted!: () => void;
  private finish!: (exit: ProcessExit) => void;
  private done = false;
  private paused = false;
  /** Output handed on while paused: granted back on resume. */
  private owed = 0;
  /** Stdin bytes we may still send before the guest grants more. */
  private stdinCredit = INITIAL_CREDIT;
  private readonly stdinQueue: Array<{ data: Buffer; sent: () => void }> = [];
  private stdinEnded = false;
  private eofSent = false;

  constructor(
    private readonly id: number,
    private readonly conn: AgentConnection,
    private readonly sink: ProcessSink,
    tty: boolean,
  ) {
    this.started = new Promise((ok) => (this.markStarted = ok));
    const exited = new Promise<ProcessExit>((ok) => (this.finish = ok));
    this.handle = {
      pid: undefined,
      hostVisible: false,
      write: (data) => this.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data),
      end: () => {
        this.stdinEnded = true;
        this.pump();
      },
      resize: (cols, rows) => void this.conn.send(this.id, T.RESIZE, encodeResize(cols, rows)),
      pause: () => {
        this.paused = true;
      },
      resume: () => {
        this.paused = false;
        if (this.owed > 0) this.grant(this.owed);
        this.owed = 0;
      },
      // A terminal hangs up; a pipe is killed. Both reach its whole process group in the guest.
      kill: () => this.signal(tty ? constants.signals.SIGHUP : constants.signals.SIGKILL),
      killTree: async () => {
        this.signal(constants.signals.SIGKILL);
        return undefined;
      },
      exited,
    };
  }

  onFrame(f: Frame): void {
    if (this.done) return;
    switch (f.type) {
      case T.STARTED:
        this.markStarted();
        return;
      case T.STDOUT:
      case T.STDERR:
        this.sink(f.type === T.STDOUT ? 'stdout' : 'stderr', f.payload);
        if (this.paused) this.owed += f.payload.length;
        else this.grant(f.payload.length);
        return;
      case T.STDIN_CREDIT:
        this.stdinCredit += f.payload.length >= 4 ? f.payload.readUInt32BE(0) : 0;
        this.pump();
        return;
      case T.EXIT: {
        const kv = decodeKv(f.payload);
        const code = kvGet(kv, 'code');
        const sig = kvGet(kv, 'signal');
        this.end({ code: code !== undefined ? Number(code) : null, signal: sig !== undefined ? signalName(Number(sig)) : null });
        return;
      }
      case T.ERROR:
        this.end({ code: null, signal: null, spawnError: f.payload.toString('utf8').trim() || 'the guest agent could not start it' });
        return;
      default:
        return;
    }
  }

  lost(why: string): void {
    if (!this.done) this.end({ code: null, signal: null, spawnError: why });
  }

  private end(exit: ProcessExit): void {
    this.done = true;
    this.conn.forget(this.id);
    for (const q of this.stdinQueue.splice(0)) q.sent();
    this.markStarted();
    this.finish(exit);
  }

  private grant(n: number): void {
    this.conn.send(this.id, T.CREDIT, encodeU32(n));
  }

  private signal(sig: number): void {
    if (!this.done) this.conn.send(this.id, T.SIGNAL, Buffer.from([sig]));
  }

  private write(data: Buffer): Promise<void> {
    if (this.done || this.stdinEnded) return Promise.resolve();
    return new Promise((sent) => {
      this.stdinQueue.push({ data, sent });
      this.pump();
    });
  }

  /** Sends queued stdin as far as the guest's credit allows; EOF once all of it went. */
  private pump(): void {
    while (!this.done && this.stdinQueue.length > 0 && this.stdinCredit > 0) {
      const head = this.stdinQueue[0] as { data: Buffer; sent: () => void };
      const n = Math.min(head.data.length, this.stdinCredit, STDIN_CHUNK);
      this.conn.send(this.id, T.STDIN, head.data.subarray(0, n));
      this.stdinCredit -= n;
      if (n === head.data.length) {
        this.stdinQueue.shift();
        head.sent();
      } else head.data = head.data.subarray(n);
    }
    if (!this.done && this.stdinEnded && this.stdinQueue.length === 0 && !this.eofSent) {
      this.eofSent = true;
      this.conn.send(this.id, T.STDIN_EOF);
    }
  }
}

function notStarted(why: string): SandboxProcess {
  return {
    pid: undefined,
    hostVisible: false,
    write: () => Promise.resolve(),
    end: () => undefined,
    resize: () => undefined,
    pause: () => undefined,
    resume: () => undefined,
    kill: () => undefined,
    killTree: async () => undefined,
    exited: Promise.resolve({ code: null, signal: null, spawnError: why }),
  };
}

function signalName(n: number): string {
  for (const [name, num] of Object.entries(constants.signals)) if (num === n) return name;
  return `SIG${n}`;
}
