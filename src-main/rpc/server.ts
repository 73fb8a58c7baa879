/**
 * The server side of the contract, shared by every host (Electron IPC,
 * WebSocket, in-memory). Validates each request against the contract's
 * schema, dispatches it, and broadcasts events to every attached peer.
 */
import type { z } from 'zod';
import {
  BenchtopError,
  events as eventSchemas,
  invalidInput,
  methods,
  toErrorData,
  type Envelope,
  type EventName,
  type EventPayload,
  type MethodName,
  type MethodResult,
  type Methods,
  type Transport,
} from '../../src-preload/contract';

/** Who is calling: recorded in the journal as the entry's client. */
export interface CallContext {
  client: string;
  /** Sends an event to this caller only (e.g. the output of its own exec). */
  notify?<E extends EventName>(event: E, payload: EventPayload<E>): void;
}

export type Handlers = {
  [M in MethodName]: (params: z.output<Methods[M]['params']>, ctx: CallContext) => Promise<MethodResult<M>>;
};

export interface RpcServer {
  /** Serves one peer; returns a function that detaches it. */
  attach(transport: Transport, ctx: CallContext): () => void;
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
}

export function createRpcServer(handlers: Handlers): RpcServer {
  const peers = new Set<Transport>();

  async function dispatch(msg: Extract<Envelope, { t: 'req' }>, ctx: CallContext): Promise<Envelope> {
    try {
      if (!Object.hasOwn(methods, msg.method)) {
        throw new BenchtopError('INVALID_INPUT', `method: unknown method "${msg.method}"`, { field: 'method' });
      }
      const name = msg.method as MethodName;
      const parsed = methods[name].params.safeParse(msg.params ?? {});
      if (!parsed.success) throw invalidInput(parsed.error);
      const handler = handlers[name] as (p: unknown, c: CallContext) => Promise<unknown>;
      const result = await handler(parsed.data, ctx);
      return { t: 'res', id: msg.id, result };
    } catch (err) {
      return { t: 'err', id: msg.id, error: toErrorData(err) };
    }
  }

  return {
    attach(transport, ctx) {
      peers.add(transport);
      const own: CallContext = {
        ...ctx,
        notify: (event, payload) => transport.send({ t: 'evt', event, payload: eventSchemas[event].parse(payload) }),
      };
      const off = transport.onMessage((msg) => {
        if (msg.t !== 'req') return;
        void dispatch(msg, own).then((reply) => transport.send(reply));
      });
      return () => {
        off();
        peers.delete(transport);
      };
    },
    emit(event, payload) {
      const checked = eventSchemas[event].parse(payload);
      for (const peer of peers) peer.send({ t: 'evt', event, payload: checked });
    },
  };
}
