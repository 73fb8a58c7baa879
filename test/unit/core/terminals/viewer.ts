/**
 * A viewer of the terminal service for tests: records every event in order,
 * and waits for a condition — with fake timers too, by moving the fake clock
 * in small steps while real time passes for the PTY's I/O.
 */
import { vi } from 'vitest';
import type { TerminalInfo } from '../../../../src-preload/contract';
import type { TerminalService } from '../../../../src-main/core/terminals/service';

export type Seen = { kind: 'data'; id: string; data: string; at: number } | { kind: 'changed'; info: TerminalInfo; closed: boolean };

/** Taken before any test fakes the timers: real waiting, for the PTY's I/O. */
const realSetTimeout = globalThis.setTimeout;
export const realSleep = (ms: number) => new Promise<void>((r) => realSetTimeout(r, ms));

export class Viewer {
  readonly seen: Seen[] = [];
  private off: () => void;

  constructor(
    private readonly terminals: TerminalService,
    /** Acks each piece of output as it arrives, as a live xterm.js does once it has drawn it. */
    public acking = true,
  ) {
    this.off = this.listen();
  }

  private listen(): () => void {
    return this.terminals.on({
      data: (id, data) => {
        this.seen.push({ kind: 'data', id, data, at: Date.now() });
        if (this.acking) this.terminals.ack(id, data.length);
      },
      changed: (info, closed) => this.seen.push({ kind: 'changed', info, closed }),
    });
  }

  detach(): void {
    this.off();
  }

  reattach(): void {
    this.off = this.listen();
  }

  text(id: string): string {
    return this.data(id).join('');
  }

  data(id: string): string[] {
    return this.seen.flatMap((s) => (s.kind === 'data' && s.id === id ? [s.data] : []));
  }

  changes(id: string): { info: TerminalInfo; closed: boolean }[] {
    return this.seen.flatMap((s) => (s.kind === 'changed' && s.info.id === id ? [{ info: s.info, closed: s.closed }] : []));
  }

  ended(id: string): boolean {
    return this.changes(id).some((c) => !c.info.running);
  }
}

/**
 * Waits until `ok()` (real time, at most `timeoutMs`). Under fake timers the
 * fake clock moves `step` ms per round, so the service's timers (output
 * coalescing, exit drain) run while the test decides when the long ones fire.
 * Returns how far the fake clock moved.
 */
export async function until(ok: () => boolean, what: string, timeoutMs = 10_000, step = 2): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let moved = 0;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    if (vi.isFakeTimers()) {
      await vi.advanceTimersByTimeAsync(step);
      moved += step;
    }
    await realSleep(3);
  }
  return moved;
}

/** Lets `ms` of real time pass (moving a fake clock `step` ms per round meanwhile). */
export async function settle(ms: number, step = 2): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(step);
    await realSleep(3);
  }
}

/** Like {@link until} under fake timers, but fails once the fake clock has moved `fakeBudgetMs` (1 ms per round). */
export async function untilWithinFakeTime(ok: () => boolean, what: string, fakeBudgetMs: number): Promise<void> {
  for (let moved = 0; !ok(); moved++) {
    if (moved >= fakeBudgetMs) throw new Error(`${what} did not happen within ${fakeBudgetMs} ms of the fake clock`);
    await vi.advanceTimersByTimeAsync(1);
    await realSleep(3);
  }
}
