/**
 * `benchtop cp SRC DEST`: one side a local path, the other `NAME:PATH` in a
 * workspace. The local side is packed or unpacked by the host's `tar`; the
 * workspace's side by `tar` inside the sandbox (files.upload / files.download),
 * the stream in chunks between them.
 *
 * Out of a workspace, what the sandbox sends is never trusted to name where
 * it lands: it is unpacked into a fresh folder beside the target (host tar
 * refuses `..` and absolute names), must hold exactly one entry, and only that
 * entry is moved into place.
 */
import { randomUUID } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { BenchtopError, type TransferResult } from '../../src-preload/contract';
import type { BenchtopClient } from '../../src-preload/client';
import { candidateName, parseCopyArg, planCopy, type CopyPlan } from './cp-args';

/** Raw bytes per upload chunk: well under the contract's cap once in base64. */
const CHUNK_BYTES = 1024 * 1024;

/** A failure on this side of the copy (the local path). */
function localError(code: 'NOT_FOUND' | 'INVALID_INPUT' | 'BACKEND_FAILED', message: string): BenchtopError {
  return new BenchtopError(code, message);
}

export async function copyCommand(c: BenchtopClient, src: string, dest: string, usage: (msg: string) => Error): Promise<TransferResult> {
  const known = new Set<string>();
  for (const name of new Set([candidateName(src), candidateName(dest)])) {
    if (name && (await workspaceExists(c, name))) known.add(name);
  }
  const plan = planCopy(parseCopyArg(src, (n) => known.has(n)), parseCopyArg(dest, (n) => known.has(n)));
  if ('error' in plan) {
    if (plan.unknown) throw new BenchtopError('NOT_FOUND', plan.error, { workspace: plan.unknown });
    throw usage(plan.error);
  }
  return plan.direction === 'in' ? copyIn(c, plan) : copyOut(c, plan);
}

async function workspaceExists(c: BenchtopClient, name: string): Promise<boolean> {
  try {
    await c.call('workspaces.get', { workspace: name });
    return true;
  } catch (err) {
    if (err instanceof BenchtopError && err.code === 'NOT_FOUND') return false;
    return true; // It exists, in a state the copy itself will report (broken).
  }
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

async function copyIn(c: BenchtopClient, plan: Extract<CopyPlan, { direction: 'in' }>): Promise<TransferResult> {
  const local = resolve(plan.local);
  if (!lstatOrNull(local)) throw localError('NOT_FOUND', `${plan.local}: no such file or folder`);
  if (local === '/') throw localError('INVALID_INPUT', '/ cannot be copied whole; copy a folder inside it');
  const transferId = randomUUID();
  const name = basename(local);
  const result = c.call('files.upload', { workspace: plan.workspace, path: plan.path, name, transferId, source: plan.local });
  // Settled here so an early failure (no such folder in the workspace) is not unhandled while we send.
  const settled = result.then(
    () => true,
    () => false,
  );
  const tar = execa('tar', ['-c', '-f', '-', '-C', dirname(local), '--', name], { buffer: false, stdin: 'ignore', stderr: 'pipe', reject: false });
  let tarErr = '';
  tar.stderr?.on('data', (d: Buffer) => (tarErr += d.toString('utf8')));
  const send = (p: Record<string, unknown>) => c.call('files.uploadChunk', { transferId, ...p });
  let sending = true;
  void settled.then(() => {
    // The workspace's side ended (done or failed): nothing more is read.
    sending = false;
    tar.kill();
  });
  try {
    let pending: Buffer[] = [];
    let size = 0;
    for await (const chunk of tar.stdout as AsyncIterable<Buffer>) {
      if (!sending) break;
      pending.push(chunk);
      size += chunk.length;
      if (size >= CHUNK_BYTES) {
        await send({ data: Buffer.concat(pending).toString('base64') });
        pending = [];
        size = 0;
      }
    }
    const exit = await tar;
    if (sending && exit.exitCode !== 0) {
      await send({ abort: lastLine(tarErr) || `tar exited with ${exit.exitCode}` });
    } else if (sending) {
      if (size) await send({ data: Buffer.concat(pending).toString('base64') });
      await send({ eof: true });
    }
  } catch {
    // The upload ended first: its result says why.
  }
  return result;
}

async function copyOut(c: BenchtopClient, plan: Extract<CopyPlan, { direction: 'out' }>): Promise<TransferResult> {
  const local = resolve(plan.local);
  const existing = statOrNull(local);
  const into = existing?.isDirectory() ? local : null;
  const parent = into ?? dirname(local);
  if (!into) {
    if (/\/\.?$/.test(plan.local)) throw localError('NOT_FOUND', `${plan.local}: no such folder`);
    const p = statOrNull(parent);
    if (!p) throw localError('NOT_FOUND', `${parent}: no such folder`);
    if (!p.isDirectory()) throw localError('INVALID_INPUT', `${parent}: not a folder`);
  }
  let tmp: string;
  try {
    tmp = mkdtempSync(join(parent, '.benchtop-cp-'));
  } catch (err) {
    throw localError('INVALID_INPUT', `${parent}: cannot write there (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    // -p keeps the modes even under a umask; the owner is whoever copies (not the sandbox's uids).
    const tar = execa('tar', ['-x', '-p', '--no-same-owner', '-f', '-', '-C', tmp], { buffer: false, stdin: 'pipe', stdout: 'ignore', stderr: 'pipe', reject: false });
    let tarErr = '';
    tar.stderr?.on('data', (d: Buffer) => (tarErr += d.toString('utf8')));
    tar.stdin?.on('error', () => undefined);
    const transferId = randomUUID();
    const off = c.on('files.data', (d) => {
      if (d.transferId === transferId) tar.stdin?.write(Buffer.from(d.data, 'base64'));
    });
    let result: TransferResult;
    try {
      result = await c.call('files.download', { workspace: plan.workspace, path: plan.path, transferId, target: plan.local });
    } catch (err) {
      tar.kill();
      throw err;
    } finally {
      off();
      tar.stdin?.end();
    }
    const exit = await tar;
    if (exit.exitCode !== 0) throw localError('BACKEND_FAILED', `could not unpack into ${parent}: ${lastLine(tarErr) || `tar exited with ${exit.exitCode}`}`);
    const entries = readdirSync(tmp);
    if (entries.length !== 1) throw localError('BACKEND_FAILED', `the workspace sent ${entries.length} entries instead of one; nothing was copied`);
    const name = entries[0] as string;
    place(join(tmp, name), into ? join(into, name) : local);
    return result;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** Moves `from` to `to` as cp would copy it: a folder onto a folder merges, a file replaces a file. */
function place(from: string, to: string): void {
  const target = statOrNull(to);
  const source = lstatSync(from);
  if (!target) return renameSync(from, to);
  if (source.isDirectory()) {
    if (!target.isDirectory()) throw localError('INVALID_INPUT', `${to}: exists and is not a folder`);
    for (const child of readdirSync(from)) place(join(from, child), join(to, child));
    return;
  }
  if (target.isDirectory()) throw localError('INVALID_INPUT', `${to}: is a folder; the source is not`);
  renameSync(from, to);
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').pop()?.trim() ?? '';
}
