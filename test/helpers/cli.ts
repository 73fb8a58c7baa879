/** Runs the real, built `benchtop` CLI in a child process, optionally as the rootless test user. */
import { execa } from 'execa';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, CI_USER } from './fixtures';

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  home: string;
  env?: Record<string, string>;
  /** Run as the rootless test user. */
  asUser?: boolean;
  timeoutMs?: number;
}

export async function cli(args: string[], opts: CliOptions): Promise<CliResult> {
  const env = { BENCHTOP_HOME: opts.home, ...opts.env };
  const argv = opts.asUser ? await asUserArgv(['node', CLI, ...args], env) : ['node', CLI, ...args];
  const r = await execa(argv[0] as string, argv.slice(1), {
    env: opts.asUser ? { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } : env,
    extendEnv: !opts.asUser,
    reject: false,
    timeout: opts.timeoutMs ?? 120_000,
    cwd: opts.asUser ? '/tmp' : undefined,
    stripFinalNewline: false,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export async function cliJson<T>(args: string[], opts: CliOptions): Promise<T> {
  // --json goes right after the command, before any `--` that starts the sandboxed argv.
  const r = await cli([args[0] as string, '--json', ...args.slice(1)], opts);
  if (r.exitCode !== 0) throw new Error(`benchtop ${args.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

let uidCache: number | undefined;
export async function userUid(): Promise<number> {
  uidCache ??= Number((await execa('id', ['-u', CI_USER])).stdout.trim());
  return uidCache;
}

async function asUserArgv(argv: string[], env: Record<string, string>): Promise<string[]> {
  const uid = await userUid();
  const vars = Object.entries({ ...env, HOME: `/home/${CI_USER}`, XDG_RUNTIME_DIR: `/run/user/${uid}`, PATH: process.env.PATH ?? '/usr/bin:/bin' }).map(([k, v]) => `${k}=${v}`);
  return ['runuser', '-u', CI_USER, '--', 'env', ...vars, ...argv];
}

/** A fresh temp folder; `forUser` makes it owned by the rootless test user. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `benchtop-${prefix}-`));
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * Removes test folders. A data folder's detached watchdog can still be
 * writing its lock or a record when a test ends, so a folder that fills up
 * again mid-removal (ENOTEMPTY) is retried rather than failing the suite.
 */
export function cleanup(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}
