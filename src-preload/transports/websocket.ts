/**
 * Envelope transport over a WebSocket. Works with the browser's WebSocket and
 * with `ws` in Node: only `send`, `addEventListener('message'|'close')` are used.
 * Envelopes travel as JSON text messages; anything else (a binary message, text
 * that is not JSON, JSON that is not an envelope) is reported to `onBadMessage`
 * and dropped, never thrown: in Node a throw here would end the whole process.
 */
import { envelopeSchema, type Envelope, type Transport } from '../contract/envelope';

export interface WebSocketLike {
  send(data: string): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: () => void): void;
  readyState: number;
}

export function createWebSocketTransport(socket: WebSocketLike, onBadMessage?: (reason: string) => void): Transport {
  const handlers = new Set<(m: Envelope) => void>();
  socket.addEventListener('message', (ev) => {
    // Text frames arrive as strings (browser and `ws` alike); binary ones as Buffer/ArrayBuffer/Blob.
    if (typeof ev.data !== 'string') {
      onBadMessage?.('binary messages are not accepted: send each envelope as a JSON text message');
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(ev.data);
    } catch {
      onBadMessage?.('message is not JSON');
      return;
    }
    let result: ReturnType<typeof envelopeSchema.safeParse> | undefined;
    try {
      result = envelopeSchema.safeParse(parsed);
    } catch {
      result = undefined; // Should validation ever recurse too deep: a RangeError, not a crash.
    }
    if (!result?.success) {
      onBadMessage?.('message is not an RPC envelope');
      return;
    }
    const envelope = result.data;
    for (const h of handlers) h(envelope);
  });
  return {
    send(message) {
      if (socket.readyState !== 1) return;
      let text: string;
      try {
        text = JSON.stringify(message);
      } catch (err) {
        // A reply that cannot be serialised still answers its call, as an error.
        if (message.t !== 'res' && message.t !== 'err') return;
        const why = err instanceof Error ? err.message : String(err);
        text = JSON.stringify({ t: 'err', id: message.id, error: { code: 'INTERNAL', message: `reply could not be serialised: ${why}` } });
      }
      socket.send(text);
    },
    onMessage(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
  };
}
