/**
 * Secrets in the OS keyring (the freedesktop Secret Service, through
 * `secret-tool`): all of one data folder's secrets are one keyring item, so a
 * lookup is one call. Values travel on stdin/stdout, never in argv.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { which } from '../drivers/which';
import { runSync } from '../runner/runner';
import { withLock } from '../store/lock';
import type { SecretFile, SecretStore } from './store';

/** Re-reading the keyring on every redaction would spawn secret-tool per line: cache briefly. */
const CACHE_MS = 1000;

export function keyringArgv(op: 'lookup' | 'store' | 'clear', home: string): string[] {
  const attrs = ['service', 'benchtop', 'home', home];
  if (op === 'store') return ['secret-tool', 'store', '--label=Benchtop workspace secrets', ...attrs];
  return ['secret-tool', op, ...attrs];
}

export function keyringUsable(): { ok: true } | { ok: false; why: string } {
  if (!which('secret-tool')) return { ok: false, why: 'secret-tool is not installed (apt install libsecret-tools)' };
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) return { ok: false, why: 'no D-Bus session (DBUS_SESSION_BUS_ADDRESS is unset)' };
  // A lookup of an item that does not exist answers 1 at once when a keyring is there; anything else means it is not.
  const r = runSync(['secret-tool', 'lookup', 'service', 'benchtop', 'probe', 'benchtop'], { timeoutMs: 5000 });
  if (r.exitCode === 0 || (r.exitCode === 1 && r.stderr.trim() === '')) return { ok: true };
  return { ok: false, why: r.stderr.trim().split('\n')[0] || `secret-tool exited ${r.exitCode}` };
}

export function createKeyringSecretStore(home: string): SecretStore {
  let cache: { at: number; data: SecretFile } | null = null;
  const read = (): SecretFile => {
    if (cache && Date.now() - cache.at < CACHE_MS) return cache.data;
    const r = runSync(keyringArgv('lookup', home), { timeoutMs: 10000 });
    const data = r.exitCode === 0 && r.stdout.trim() ? (JSON.parse(r.stdout) as SecretFile) : {};
    cache = { at: Date.now(), data };
    return data;
  };
  const write = (data: SecretFile): void => {
    const r = Object.keys(data).length
      ? runSync(keyringArgv('store', home), { input: JSON.stringify(data), timeoutMs: 10000 })
      : runSync(keyringArgv('clear', home), { timeoutMs: 10000 });
    if (r.exitCode !== 0) throw new Error(`secrets: the OS keyring refused the write: ${r.stderr.trim().split('\n')[0]}`);
    cache = { at: Date.now(), data };
  };
  const lockFile = join(home, 'secrets', 'secrets.lock');
  const locked = <T>(fn: () => T) => {
    mkdirSync(join(home, 'secrets'), { recursive: true, mode: 0o700 });
    cache = null; // Another process may have written: read fresh under the lock.
    return withLock(lockFile, fn);
  };
  return {
    location: 'the OS keyring (Secret Service)',
    get: (id) => read()[id] ?? {},
    allValues: () => Object.values(read()).flatMap((m) => Object.values(m)),
    async set(id, values) {
      if (Object.keys(values).length === 0) return;
      await locked(() => {
        const data = read();
        write({ ...data, [id]: { ...data[id], ...values } });
      });
    },
    async delete(id) {
      await locked(() => {
        const data = read();
        if (!(id in data)) return;
        delete data[id];
        write(data);
      });
    },
  };
}
