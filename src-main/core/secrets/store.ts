/**
 * The one place secret values live: a single 0600 file under the data
 * folder's secrets/ (0700). Nothing else — record, journal, argv, container
 * config — ever holds a value.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, writeFileAtomic } from '../store/atomic';
import { withLock } from '../store/lock';

type SecretFile = Record<string, Record<string, string>>;

export interface SecretStore {
  get(workspaceId: string): Record<string, string>;
  /** Every secret value of every workspace, for redaction. */
  allValues(): string[];
  set(workspaceId: string, values: Record<string, string>): Promise<void>;
  delete(workspaceId: string): Promise<void>;
  readonly location: string;
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
    get: (id) => read()[id] ?? {},
    allValues: () => Object.values(read()).flatMap((m) => Object.values(m)),
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
