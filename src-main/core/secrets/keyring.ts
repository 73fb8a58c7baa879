/**
 * Secrets in the OS keyring (the freedesktop Secret Service, through
 * `secret-tool`): all of one data folder's secrets are one keyring item, so a
 * lookup is one call. Values travel on stdin/stdout, never in argv.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { which } from '../drivers/which';
import { runWithInput } from '../runner/runner';
import { withLock } from '../store/lock';
import type { SecretFile, SecretStore } from './store';

/** Re-reading the keyring on every redaction would spawn secret-tool per line: cache briefly. */
const CACHE_MS = 1000;

export function keyringArgv(op: 'lookup' | 'store' | 'clear', home: string): string[] {
  const attrs = ['service', 'benchtop', 'home', home];
  if (op === 'store') return ['secret-tool', 'store', '--label=Benchtop workspace secrets', ...attrs];
  return ['secret-tool', op, ...attrs];
}

export async function keyringUsable(): Promise<{ ok: true } | { ok: false; why: string }> {
  if (!which('secret-tool')) return { ok: false, why: 'secret-tool is not installed (apt install libsecret-tools)' };
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) return { ok: false, why: 'no D-Bus session (DBUS_SESSION_BUS_ADDRESS is unset)' };
  // A lookup of an item that does not exist answers 1 at once when a keyring is there; anything else means it is not.
  const r = await runWithInput(['secret-tool', 'lookup', 'service', 'benchtop', 'probe', 'benchtop'], { timeoutMs: 5000 });
  if (r.exitCode === 0 || (r.exitCode === 1 && r.stderr.trim() === '')) return { ok: true };
  return { ok: false, why: r.stderr.trim().split('\n')[0] || `secret-tool exited ${r.exitCode}` };
}

export function createKeyringSecretStore(home: string): SecretStore {
  let cache: { at: number; data: SecretFile } | null = null;
  /** One lookup in flight at a time: callers at the same moment share it. */
  let pending: Promise<SecretFile> | null = null;
  const read = async (): Promise<SecretFile> => {
    if (cache && Date.now() - cache.at < CACHE_MS) return cache.data;
    pending ??= (async () => {
      try {
        const r = await runWithInput(keyringArgv('lookup', home), { timeoutMs: 10000 });
        const data = r.exitCode === 0 && r.stdout.trim() ? (JSON.parse(r.stdout) as SecretFile) : {};
        cache = { at: Date.now(), data };
        return data;
      } finally {
        pending = null;
      }
    })();
    return pending;
  };
  const write = async (data: SecretFile): Promise<void> => {
    const r = Object.keys(data).length
      ? await runWithInput(keyringArgv('store', home), { input: JSON.stringify(data), timeoutMs: 10000 })
      : await runWithInput(keyringArgv('clear', home), { timeoutMs: 10000 });
    if (r.exitCode !== 0) throw new Error(`secrets: the OS keyring refused the write: ${r.stderr.trim().split('\n')[0]}`);
    cache = { at: Date.now(), data };
  };
  const lockFile = join(home, 'secrets', 'secrets.lock');
  const locked = <T>(fn: () => Promise<T>) => {
    mkdirSync(join(home, 'secrets'), { recursive: true, mode: 0o700 });
    cache = null; // Another process may have written: read fresh under the lock.
    return withLock(lockFile, fn);
  };
  return {
    location: 'the OS keyring (Secret Service)',
    get: async (id) => (await read())[id] ?? {},
    allValues: async () => Object.values(await read()).flatMap((m) => Object.values(m)),
    async set(id, values) {
      if (Object.keys(values).length === 0) return;
      await locked(async () => {
        const data = await read();
        await write({ ...data, [id]: { ...data[id], ...values } });
      });
    },
    async delete(id) {
      await locked(async () => {
        const data = await read();
        if (!(id in data)) return;
        delete data[id];
        await write(data);
      });
    },
  };
}
