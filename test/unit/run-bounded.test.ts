/** Bulk actions' runner (src-renderer/src/workspaces/runBounded.ts): a few at a time, every outcome kept. */
import { describe, expect, it } from 'vitest';
import { runBounded } from '../../src-renderer/src/workspaces/runBounded';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runBounded', () => {
  it('never runs more than the limit at once, and runs up to it', async () => {
    let running = 0;
    let peak = 0;
    await runBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await tick(5 + (n % 3) * 5);
      running--;
    });
    expect(peak).toBe(3);
  });

  it('keeps every outcome, in the items’ order, when some fail', async () => {
    const progress: number[] = [];
    const out = await runBounded(
      ['a', 'b', 'c', 'd'],
      2,
      async (s) => {
        await tick(s === 'a' ? 20 : 1);
        if (s === 'b' || s === 'd') throw new Error(`${s} is busy`);
      },
      (done) => progress.push(done),
    );
    expect(out).toEqual([{ item: 'a' }, { item: 'b', error: 'b is busy' }, { item: 'c' }, { item: 'd', error: 'd is busy' }]);
    expect(progress).toEqual([1, 2, 3, 4]);
  });

  it('resolves at once for nothing', async () => {
    expect(await runBounded([], 3, async () => undefined)).toEqual([]);
  });
});
