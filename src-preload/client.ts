/**
 * The typed client of the contract. Runs over any {@link Transport}: the
 * renderer uses it over Electron IPC or WebSocket, the CLI and tests in memory.
 */
import { BenchtopError, type ErrorData } from './contract/errors';
import type { Envelope, Transport } from './contract/envelope';
import type { EventName, EventPayload } from './contract/events';
import type { MethodName, MethodParams, MethodResult } from './contract/methods';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: BenchtopError) => void;
}

export interface BenchtopClient {
  call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResult<M>>;
  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void;
  /** Fails every pending call (e.g. when the transport closed). */
  abort(error: ErrorData): void;
  dispose(): void;
}

export function createClient(transport: Transport): BenchtopClient {
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();

  const unsubscribe = transport.onMessage((msg: Envelope) => {
    if (msg.t === 'res') {
      pending.get(msg.id)?.resolve(msg.result);
      pending.delete(msg.id);
    } else if (msg.t === 'err') {
      if (msg.id === null) return;
      pending.get(msg.id)?.reject(BenchtopError.fromData(msg.error));
      pending.delete(msg.id);
    } else if (msg.t === 'evt') {
      for (const handler of listeners.get(msg.event) ?? []) handler(msg.payload);
    }
  });

  const abort = (error: ErrorData): void => {
    for (const p of pending.values()) p.reject(BenchtopError.fromData(error));
    pending.clear();
  };

  return {
    call(method, params) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        transport.send({ t: 'req', id, method, params });
      });
    },
    on(event, handler) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const h = handler as (payload: unknown) => void;
      set.add(h);
      return () => set.delete(h);
    },
    abort,
    dispose() {
      unsubscribe();
      abort({ code: 'INTERNAL', message: 'client disposed' });
    },
  };
}
