/**
 * Picks the transport: the Electron bridge when the preload exposed one,
 * otherwise the browser host's WebSocket (token from the page URL).
 */
import { createClient, type BenchtopClient } from '../../src-preload/client';
import type { BridgeApi, Transport } from '../../src-preload/contract/envelope';
import { createWebSocketTransport, type WebSocketLike } from '../../src-preload/transports/websocket';

declare global {
  interface Window {
    benchtop?: BridgeApi;
  }
}

export async function connect(): Promise<BenchtopClient> {
  if (window.benchtop) return createClient(window.benchtop satisfies Transport);
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/rpc?token=${encodeURIComponent(token)}`);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error('cannot reach the Benchtop host (is the token in the URL right?)')), { once: true });
  });
  const client = createClient(createWebSocketTransport(socket as unknown as WebSocketLike));
  socket.addEventListener('close', () => client.abort({ code: 'INTERNAL', message: 'connection to the Benchtop host closed' }));
  return client;
}
