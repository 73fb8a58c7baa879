/**
 * Envelope transport over a WebSocket. Works with the browser's WebSocket and
 * with `ws` in Node: only `send`, `addEventListener('message'|'close')` are used.
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
    let parsed: unknown;
    try {
      parsed = JSON.parse(typeof ev.data === 'string' ? ev.data : String(ev.data));
    } catch {
      onBadMessage?.('message is not JSON');
      return;
    }
    const result = envelopeSchema.safeParse(parsed);
    if (!result.success) {
      onBadMessage?.('message is not an RPC envelope');
      return;
    }
    for (const h of handlers) h(result.data);
  });
  return {
    send(message) {
      if (socket.readyState === 1) socket.send(JSON.stringify(message));
    },
    onMessage(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
  };
}
