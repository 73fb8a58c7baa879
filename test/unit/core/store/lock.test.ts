/**
 * Cross-process locks: two real processes doing read-modify-write on one
 * record under the registry's locks lose no update; in one process, holders
 * take turns; a lock left by a dead holder is taken over, a live one is not;
 * a lock in a removed folder fails instead of bringing the folder back.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchtopError } from '../../../../src-preload/contract';
import { LOCK_STALE_MS, tryWithLock, withLock } from '../../../../src-main/core/store/lock';
import { Registry } from '../../../../src-main/core/store/registry';
import { sampleWorkspace } from '../sample-workspace';
import { bundleScript } from './child-script';

const root = mkdtempSync(join(tmpdir(), 'benchtop-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let writerScript = '';
beforeAll(async () => {
  writerScript = await bundleScript(join(__dirname, 'registry-writer.ts'));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts writer processes, lets them all go at once, and waits for them to finish; returns when each ran. */
async function runWriters(args: string[][]): Promise<{ start: number; end: number }[]> {
  const children = args.map((a) => spawn(process.execPath, [writerScript, ...a], { stdio: ['pipe', 'pipe', 'pipe'] }));
  const said = children.map((c) => {
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    return { out: () => out, err: () => err, exit: new Promise<number | null>((r) => c.on('exit', r)) };
  });
  while (!said.every((s) => s.out().includes('ready'))) await sleep(5);
  for (const c of children) c.stdin.write('go\n');
  const codes = await Promise.all(said.map((s) => s.exit));
  codes.forEach((code, i) => expect(code, said[i]?.err()).toBe(0));
  return said.map((s) => {
    const [, start, end] = /done (\d+) (\d+)/.exec(s.out()) ?? [];
    return { start: Number(start), end: Number(end) };
  });
}

describe('the registry locks, across processes', () => {
  it('two writers updating one record under the workspace lock, or the registry lock, lose no update', async () => {
    const home = mkdtempSync(join(root, 'home-'));
    const registry = new Registry(home);
    const count = 10;
    // One record per kind of lock; all four writers start together (one process start-up for both cases).
    const records = (['workspace', 'registry'] as const).map((lock) => {
      const ws = sampleWorkspace({ id: `lock${lock}0001`, name: `lock-${lock}` });
      mkdirSync(registry.dir(ws.id), { recursive: true });
      registry.write(ws);
      return { lock, ws };
    });
    const ran = await runWriters(records.flatMap(({ lock, ws }) => ['a', 'b'].map((tag) => [home, ws.id, tag, String(count), lock])));
    for (const [i, { lock, ws }] of records.entries()) {
      const pair = ran.slice(2 * i, 2 * i + 2);
      // The two did run at the same time (so the lock had something to serialize).
      expect(Math.max(...pair.map((r) => r.start)), lock).toBeLessThan(Math.min(...pair.map((r) => r.end)));
      const keys = registry.read(ws.id)?.secretKeys ?? [];
      expect(keys, lock).toHaveLength(2 * count);
      for (const tag of ['a', 'b']) expect(keys.filter((k) => k.startsWith(`${tag}-`)), lock).toEqual(Array.from({ length: count }, (_, n) => `${tag}-${n}`));
    }
  });
});

describe('withLock and tryWithLock', () => {
  it('take turns within one process: never two holders at once, and every one gets its turn', async () => {
    const path = join(root, 'turns');
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map((n) =>
        withLock(path, async () => {
          inside++;
          most = Math.max(most, inside);
          await sleep(15);
          order.push(n);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2, 3]);
    // Released: free again.
    expect(await tryWithLock(path, () => 'free')).toBe('free');
  });

  it('tryWithLock gives up at once while someone holds the lock, and returns what fn returns otherwise', async () => {
    const path = join(root, 'try');
    let release!: () => void;
    const held = withLock(path, () => new Promise<void>((r) => (release = r)));
    for (let i = 0; i < 500 && !existsSync(`${path}.lock`); i++) await sleep(2);
    expect(existsSync(`${path}.lock`)).toBe(true);
    const started = Date.now();
    expect(await tryWithLock(path, () => 'ran')).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000);
    release();
    await held;
    expect(await tryWithLock(path, () => 'ran')).toBe('ran');
  });

  it('takes over a lock left by a holder that died (not refreshed for longer than LOCK_STALE_MS), not a live one', async () => {
    const path = join(root, 'stale');
    mkdirSync(`${path}.lock`);
    expect(await tryWithLock(path, () => 'ran')).toBeUndefined();
    const old = (Date.now() - LOCK_STALE_MS - 5000) / 1000;
    utimesSync(`${path}.lock`, old, old);
    expect(await withLock(path, () => 'took over')).toBe('took over');
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('fails with NOT_FOUND when the folder the lock lives in is gone, without making it', async () => {
    const gone = join(root, 'removed-workspace');
    const err = await withLock(join(gone, 'journal'), () => 'ran').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BenchtopError);
    expect((err as BenchtopError).code).toBe('NOT_FOUND');
    expect((err as Error).message).toContain(gone);
    expect(await tryWithLock(join(gone, 'journal'), () => 'ran').catch((e: unknown) => (e as BenchtopError).code)).toBe('NOT_FOUND');
    expect(existsSync(gone)).toBe(false);
  });
});
