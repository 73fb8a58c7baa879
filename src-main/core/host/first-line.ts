/** The first line a detached helper prints (its "ready" or why not), or null when it closes or times out first. */
import { createInterface } from 'node:readline';

export function firstLine(stream: NodeJS.ReadableStream, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: stream });
    // Resolved before closing: closing emits 'close', which would resolve null first.
    const done = (v: string | null) => {
      clearTimeout(timer);
      resolve(v);
      rl.close();
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    rl.once('line', (l) => done(l));
    rl.once('close', () => done(null));
  });
}
