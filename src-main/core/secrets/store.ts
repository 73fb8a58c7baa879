/**
 * The one place secret values live: a single 0600 file under the data
 * folder's secrets/ (0700). Nothing else — record, journal, argv, container
 * config — ever holds a value.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BenchtopError } from '../../../src-preload/contract';
import { readJson, writeFileAtomic } from '../store/atomic';
import { createKeyringSecretStore, keyringUsable } from './keyring';
import { withLock } from '../store/lock';

export type SecretFile = Record<string, Record<string, string>>;

export interface SecretStore {
  get(workspaceId: string): Promise<Record<string, string>>;
  /** Every secret value of every workspace, for redaction. */
  allValues(): Promise<string[]>;
  set(workspaceId: string, values: Record<string, string>): Promise<void>;
  delete(workspaceId: string): Promise<void>;
  readonly location: string;
}

/**
 * The OS keyring when there is a usable one (Secret Service via secret-tool),
 * else the 0600 file. BENCHTOP_SECRET_STORE=file|keyring forces a choice.
 */
export function createSecretStore(home: string): SecretStore {
  const forced = process.env.BENCHTOP_SECRET_STORE;
  if (forced === 'file') return createFileSecretStore(home);
  // Which store is decided at the first use, without blocking: probing the keyring spawns secret-tool.
  let chosen: SecretStore | null = null;
  let choosing: Promise<SecretStore> | null = null;
  const choose = (): Promise<SecretStore> =>
    (choosing ??= (async () => {
      const keyring = await keyringUsable();
      if (forced === 'keyring' && !keyring.ok) {
        choosing = null; // asked again next time: the keyring may come up
        throw new BenchtopError('BACKEND_UNAVAILABLE', `secrets: the OS keyring is not usable here (${keyring.why})`);
      }
      chosen = keyring.ok ? createKeyringSecretStore(home) : createFileSecretStore(home);
      return chosen;
    })());
  return {
    get location() {
      return chosen?.location ?? 'not chosen yet (the keyring when usable, else a 0600 file)';
    },
    get: async (id) => (await choose()).get(id),
    allValues: async () => (await choose()).allValues(),
    set: async (id, values) => (await choose()).set(id, values),
    delete: async (id) => (await choose()).delete(id),
  };
}

export function createFileSecretStore(home: string): SecretStore {
  const dir = join(home, 'secrets');
  const file = join(dir, 'secrets.json');
  const read = (): SecretFile => readJson<SecretFile>(file) ?? {};
  const ensureDir = (): void => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  };
  const write = (data: SecretFile): void => {
    ensureDir();
    writeFileAtomic(file, JSON.stringify(data), 0o600);
  };
  return {
    location: file,
    get: async (id) => read()[id] ?? {},
    allValues: async () => Object.values(read()).flatMap((m) => Object.values(m)),
    async set(id, values) {
      if (Object.keys(values).length === 0) return;
      ensureDir();
      await withLock(join(dir, 'secrets.lock'), () => write({ ...read(), [id]: { ...read()[id], ...values } }));
    },
    async delete(id) {
      ensureDir();
      await withLock(join(dir, 'secrets.lock'), () => {
        const data = read();
        if (!(id in data)) return;
        delete data[id];
        write(data);
      });
    },
  };
}
