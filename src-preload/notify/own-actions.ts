/**
 * The lifecycle calls one window made itself (start, stop, remove, create):
 * what they change is no news to that window, so it is not notified. A call
 * counts from when it is sent until a few seconds after its answer, because
 * a look at the data folder may announce the change a little later.
 * Shared by the renderer (it wraps its client) and the Electron shell (it
 * watches its window's requests with {@link watchOwnActions}).
 */
import type { Envelope, Transport, Workspace } from '../contract';

/** How long after its answer a call still explains a change. */
export const OWN_ACTION_GRACE_MS = 5000;

const LIFECYCLE = new Set(['workspaces.start', 'workspaces.stop', 'workspaces.remove']);

/** The workspace a lifecycle call is about (a name or an id), or null for any other call. */
export function actionTarget(method: string, params: unknown): string | null {
  if (typeof params !== 'object' || params === null) return null;
  const p = params as Record<string, unknown>;
  if (LIFECYCLE.has(method) && typeof p.workspace === 'string') return p.workspace;
  if (method === 'workspaces.create' && typeof p.name === 'string') return p.name;
  return null;
}

export class OwnActions {
  /** Calls in flight per workspace ref. */
  private inFlight = new Map<string, number>();
  /** Until when (ms) a finished call still counts, per ref. */
  private until = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly graceMs = OWN_ACTION_GRACE_MS,
  ) {}

  /** A call about `ref` was sent; the function returned marks its answer. */
  begin(ref: string): () => void {
    // Forget what no longer counts, so a long-lived window keeps a handful of entries.
    for (const [r, until] of this.until) if (until <= this.now()) this.until.delete(r);
    this.inFlight.set(ref, (this.inFlight.get(ref) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const n = (this.inFlight.get(ref) ?? 1) - 1;
      if (n > 0) this.inFlight.set(ref, n);
      else this.inFlight.delete(ref);
      this.until.set(ref, this.now() + this.graceMs);
    };
  }

  /** Whether a call of this window explains a change of `ws` now. */
  asked(ws: Pick<Workspace, 'id' | 'name'>): boolean {
    return [ws.id, ws.name].some((ref) => this.inFlight.has(ref) || (this.until.get(ref) ?? 0) > this.now());
  }
}

/** The host's end of one window's connection, with each lifecycle request the window sends remembered until a little after its answer. */
export function watchOwnActions(transport: Transport, own: OwnActions): Transport {
  const pending = new Map<number, () => void>();
  return {
    send(message: Envelope) {
      if ((message.t === 'res' || message.t === 'err') && message.id !== null) {
        pending.get(message.id)?.();
        pending.delete(message.id);
      }
      transport.send(message);
    },
    onMessage(handler) {
      return transport.onMessage((message) => {
        if (message.t === 'req') {
          const ref = actionTarget(message.method, message.params);
          if (ref !== null) pending.set(message.id, own.begin(ref));
        }
        handler(message);
      });
    },
  };
}
