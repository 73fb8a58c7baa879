/**
 * Run as its own process (bundled by child-script.ts): adds `count` keys to a
 * workspace record's secretKeys, one read-modify-write at a time under the
 * registry's lock, the way the service updates records. Says "ready", then
 * starts when told "go" on stdin, so two writers really overlap.
 *
 *   registry-writer.ts <home> <workspace id> <tag> <count> <workspace|registry>
 */
import { Registry } from '../../../../src-main/core/store/registry';

const [home, id, tag, count, lock] = process.argv.slice(2) as [string, string, string, string, string];
const registry = new Registry(home);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function addKey(i: number): Promise<void> {
  const ws = registry.read(id);
  if (!ws) throw new Error(`no record ${id}`);
  // A gap between the read and the write: without the lock, the other writer's update lands in it and is lost.
  await sleep(1 + (i % 3));
  registry.write({ ...ws, secretKeys: [...ws.secretKeys, `${tag}-${i}`] });
}

process.stdout.write('ready\n');
process.stdin.once('data', () => {
  void (async () => {
    const started = Date.now();
    for (let i = 0; i < Number(count); i++) {
      if (lock === 'workspace') await registry.withWorkspaceLock(id, () => addKey(i));
      else await registry.withRegistryLock(() => addKey(i));
    }
    // When it ran, so the test can tell the writers overlapped.
    process.stdout.write(`done ${started} ${Date.now()}\n`);
    process.exit(0);
  })();
});
