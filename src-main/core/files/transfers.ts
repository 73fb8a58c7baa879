/**
 * File copies into and out of running workspaces, as tar streams unpacked
 * and packed by `tar` inside the sandbox (see tar-scripts.ts): an upload's
 * chunks are written to its stdin as they come, a download's stdout goes to
 * the caller in chunks. Each copy is one journal entry (source `copy`), written
 * when it ends: which way, the path, the other end, the bytes and the outcome.
 */
import { BenchtopError, DOWNLOAD_CHUNK_MAX_BYTES, LIST_MAX_ENTRIES, type DownloadInput, type SandboxListing, type JournalEntry, type TransferResult, type UploadInput, type Workspace } from '../../../src-preload/contract';
import type { NewEntry } from '../journal/journal';
import type { Exit } from '../runner/runner';
import type { Redactor } from '../secrets/redact';
import { displayCommand } from '../workspaces/quote';
import { runInSandbox, type CopyProcess, type SandboxProcessHost } from './run-in-sandbox';
import { resolveSandboxPath, sourcePath } from './sandbox-path';
import { copyInArgv, copyInChecksArgv, copyOutArgv, listArgv, parseListing, REFUSED_EXIT, refusalIn, removeArgv, unpackFolderIn } from './tar-scripts';

/** An upload that receives nothing for this long is given up (its sender went away). */
export const UPLOAD_IDLE_MS = 60_000;
const STDERR_TAIL = 4096;

export interface TransferHost extends SandboxProcessHost {
  now(): number;
  redactor(): Promise<Redactor>;
  /** Writes the entry (redacted) and tells listeners. */
  appendJournal(ws: Workspace, entry: NewEntry): Promise<JournalEntry>;
}

/** An upload's stdin: holds chunks that come before the process exists; each write resolves once written. */
class Inlet {
  bytes = 0;
  aborted: string | null = null;
  private queue: Buffer[] = [];
  private ended = false;
  private stdin: Pick<CopyProcess, 'write' | 'end'> | null = null;
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly onIdle: () => void) {
    this.touch();
  }

  attach(stdin: Pick<CopyProcess, 'write' | 'end'>): void {
    this.stdin = stdin;
    for (const b of this.queue) void stdin.write(b);
    this.queue = [];
    if (this.ended) stdin.end();
  }

  async write(data: Buffer): Promise<void> {
    this.touch();
    this.bytes += data.length;
    const stdin = this.stdin;
    if (!stdin) {
      this.queue.push(data);
      return;
    }
    // Resolves once written: a sender that awaits each chunk never outruns tar.
    await stdin.write(data);
  }

  end(): void {
    this.ended = true;
    this.stop();
    this.stdin?.end();
  }

  stop(): void {
    clearTimeout(this.idle);
  }

  private touch(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(this.onIdle, UPLOAD_IDLE_MS);
    this.idle.unref();
  }
}

export class FileTransfers {
  private readonly uploads = new Map<string, { inlet: Inlet; abort(reason: string): void }>();

  constructor(private readonly host: TransferHost) {}

  /** Claims an upload's id before anything awaits, so chunks sent right after the request find it. */
  reserveUpload(transferId: string): void {
    if (this.uploads.has(transferId)) throw new BenchtopError('CONFLICT', `transferId: ${transferId} is already in use`, { field: 'transferId' });
    let proc: CopyProcess | null = null;
    const entry = {
      inlet: new Inlet(() => entry.abort(`no data came for ${UPLOAD_IDLE_MS / 1000} s`)),
      abort: (reason: string) => {
        entry.inlet.aborted ??= reason;
        entry.inlet.stop();
        void proc?.kill();
      },
      attach: (p: CopyProcess) => {
        proc = p;
        entry.inlet.attach(p);
        if (entry.inlet.aborted) void p.kill();
      },
    };
    this.uploads.set(transferId, entry);
  }

  releaseUpload(transferId: string): void {
    this.uploads.get(transferId)?.inlet.stop();
    this.uploads.delete(transferId);
  }

  /** The next chunk of an upload; `eof` ends its stream, `abort` stops it (the sender could not read its source). */
  async chunk(transferId: string, data: Buffer | null, eof: boolean, abort?: string): Promise<void> {
    const up = this.uploads.get(transferId);
    if (!up) throw new BenchtopError('NOT_FOUND', `no upload ${transferId} is running`, { field: 'transferId' });
    if (abort) return up.abort(`the sender stopped: ${abort}`);
    if (data?.length) await up.inlet.write(data);
    if (eof) up.inlet.end();
  }

  /** Unpacks a reserved upload's stream in a running workspace. */
  async upload(ws: Workspace, input: UploadInput, client: string): Promise<TransferResult> {
    const up = this.uploads.get(input.transferId) as { inlet: Inlet; attach(p: CopyProcess): void } | undefined;
    if (!up) throw new BenchtopError('INTERNAL', `upload ${input.transferId} was not reserved`);
    const dest = resolveSandboxPath(input.path, this.host.driver(ws).defaultCwd(ws));
    const record = { direction: 'in' as const, path: dest.path, local: input.source ?? null };
    const command = displayCommand(['cp', input.source ?? input.name, `${ws.name}:${input.path}`]);
    let said = '';
    const onStdout = (c: Buffer) => void (said.length < 4096 && (said += c.toString('utf8')));
    // A stopped copy is killed with its script: what it unpacked so far is removed from outside.
    const leftover = async () => {
      const folder = unpackFolderIn(said);
      if (folder) await runInSandbox(this.host, ws, { argv: removeArgv(folder), stdin: false, onStdout: () => undefined, onStderr: () => undefined }).exited;
    };
    const recheck = async () => {
      let err = '';
      await runInSandbox(this.host, ws, { argv: copyInChecksArgv(dest.path, input.name, dest.mustBeFolder), stdin: false, onStdout: () => undefined, onStderr: (c) => void (err += c.toString('utf8')) }).exited;
      return err;
    };
    return this.run(ws, client, command, record, () => up.inlet.bytes, () => up.inlet.aborted, leftover, recheck, (onStderr) => {
      const proc = runInSandbox(this.host, ws, { argv: copyInArgv(dest.path, input.name, dest.mustBeFolder), stdin: true, onStdout, onStderr });
      up.attach(proc);
      return proc;
    });
  }

  /** Packs a file or folder of a running workspace; each chunk of the stream goes to `onData` as it comes. */
  async download(ws: Workspace, input: DownloadInput, client: string, onData: (chunk: Buffer) => void): Promise<TransferResult> {
    const src = sourcePath(input.path, this.host.driver(ws).defaultCwd(ws));
    const record = { direction: 'out' as const, path: src, local: input.target ?? null };
    const command = displayCommand(['cp', `${ws.name}:${input.path}`, ...(input.target ? [input.target] : [])]);
    let bytes = 0;
    const onStdout = (c: Buffer) => {
      bytes += c.length;
      for (let at = 0; at < c.length; at += DOWNLOAD_CHUNK_MAX_BYTES) onData(c.subarray(at, at + DOWNLOAD_CHUNK_MAX_BYTES));
    };
    return this.run(ws, client, command, record, () => bytes, () => null, async () => undefined, null, (onStderr) => runInSandbox(this.host, ws, { argv: copyOutArgv(src), stdin: false, onStdout, onStderr }));
  }

  /** A folder as the sandbox sees it (a read: not journaled). */
  async list(ws: Workspace, path: string | undefined): Promise<SandboxListing> {
    const project = this.host.driver(ws).defaultCwd(ws);
    const dir = resolveSandboxPath(path ?? '.', project).path;
    const out: Buffer[] = [];
    let size = 0;
    let err = '';
    const proc = runInSandbox(this.host, ws, {
      argv: listArgv(dir, LIST_MAX_ENTRIES),
      stdin: false,
      onStdout: (c) => {
        // Names are bounded (255 bytes each, LIST_MAX_ENTRIES of them): more is not a listing.
        if ((size += c.length) <= 2 * 1024 * 1024) out.push(c);
      },
      onStderr: (c) => void (err.length < 4096 && (err += c.toString('utf8'))),
    });
    const exit = await proc.exited;
    if (exit.code !== 0) {
      const refused = refusalIn(err);
      if (refused) throw new BenchtopError(refused.code, refused.message, { field: 'path' });
      const failure = await proc.diagnose(exit.code ?? 128, err);
      throw new BenchtopError('BACKEND_FAILED', failure?.reason ?? `could not list ${dir}: ${err.trim().split('\n').pop() || exit.spawnError || `exit code ${exit.code}`}`);
    }
    const { home, entries, truncated } = parseListing(Buffer.concat(out));
    entries.sort((a, b) => Number(b.kind === 'dir') - Number(a.kind === 'dir') || a.name.localeCompare(b.name));
    return { path: dir, project, home, entries, truncated };
  }

  /** Runs one copy's process and journals how it ended; a failure is thrown as one line. */
  private async run(
    ws: Workspace,
    client: string,
    command: string,
    record: { direction: 'in' | 'out'; path: string; local: string | null },
    bytes: () => number,
    aborted: () => string | null,
    afterStop: () => Promise<void>,
    /** Runs the copy's checks again, without stdin, for a refusal whose line was lost; its stderr. */
    recheck: (() => Promise<string>) | null,
    start: (onStderr: (c: Buffer) => void) => CopyProcess,
  ): Promise<TransferResult> {
    const startedAt = new Date(this.host.now()).toISOString();
    const t0 = performance.now();
    let tail = Buffer.alloc(0);
    const journal = (patch: Partial<NewEntry>) =>
      this.host.appendJournal(ws, {
        workspaceId: ws.id,
        source: 'copy',
        command,
        argv: null,
        cwd: null,
        client,
        startedAt,
        durationMs: Math.round(performance.now() - t0),
        exitCode: null,
        timedOut: false,
        event: record.direction === 'in' ? 'copy-in' : 'copy-out',
        detail: `${bytes()} bytes`,
        copy: { ...record, bytes: bytes() },
        ...patch,
      });
    const fail = async (status: 'not-run' | 'interrupted', code: BenchtopError['code'], reason: string, field?: string): Promise<never> => {
      const redactor = await this.host.redactor();
      const entry = await journal({ status, reason });
      throw new BenchtopError(code, redactor.text(reason), { seq: entry.seq, ...(field ? { field } : {}) });
    };

    let proc: CopyProcess;
    let exit: Exit;
    try {
      proc = start((c) => (tail = Buffer.concat([tail, c]).subarray(-STDERR_TAIL)));
      exit = await proc.exited;
    } catch (err) {
      if (!(err instanceof BenchtopError)) throw err;
      return fail('not-run', err.code, err.message, typeof err.details?.field === 'string' ? err.details.field : undefined);
    }
    const stderr = tail.toString('utf8');
    const stopped = aborted();
    if (stopped) {
      await afterStop().catch(() => undefined);
      return fail('interrupted', 'CANCELLED', `the copy was stopped: ${stopped}`);
    }
    if (exit.spawnError !== undefined) return fail('not-run', 'BACKEND_FAILED', `${ws.backend}: could not start the copy: ${exit.spawnError}`);
    if (exit.code === 0) {
      const entry = await journal({ exitCode: 0 });
      return { seq: entry.seq, bytes: bytes(), path: record.path };
    }
    const refused = refusalIn(stderr) ?? (exit.code === REFUSED_EXIT && recheck ? refusalIn(await recheck()) : null);
    if (refused) return fail('not-run', refused.code, refused.message, 'path');
    const exitCode = exit.code ?? 128;
    const failure = await proc.diagnose(exitCode, stderr);
    if (failure) return fail(failure.notRun ? 'not-run' : 'interrupted', failure.notRunning ? 'CONFLICT' : 'BACKEND_FAILED', failure.reason);
    const last = stderr.trimEnd().split('\n').pop()?.trim();
    return fail('interrupted', 'BACKEND_FAILED', `the copy failed: ${last || `tar exited with ${exitCode}`}`);
  }
}
