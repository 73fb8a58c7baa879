/**
 * Runs one action over many items, a few at a time: a bulk Stop or Delete of
 * thirty workspaces should not start thirty sandboxes' teardowns at once, and
 * one failure must not lose what happened to the others.
 */

export interface Outcome<T> {
  item: T;
  /** The failure's message; absent when the action succeeded. */
  error?: string;
}

/**
 * Calls `action` on every item with at most `limit` running at once, and
 * resolves (never rejects) with one outcome per item, in the items' order.
 * `onSettled(done)` is told after each item finishes, for progress.
 */
export async function runBounded<T>(items: readonly T[], limit: number, action: (item: T) => Promise<unknown>, onSettled?: (done: number) => void): Promise<Outcome<T>[]> {
  const outcomes: Outcome<T>[] = new Array(items.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      const item = items[i] as T;
      try {
        await action(item);
        outcomes[i] = { item };
      } catch (e) {
        outcomes[i] = { item, error: e instanceof Error ? e.message : String(e) };
      }
      onSettled?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return outcomes;
}
