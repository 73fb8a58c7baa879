/**
 * The one RPC envelope, the same over every transport (Electron IPC,
 * WebSocket, in-memory): request, response, error, event.
 */
import { z } from 'zod';
import { errorDataSchema } from './errors';

export const envelopeSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('req'), id: z.number().int(), method: z.string(), params: z.unknown() }),
  z.object({ t: z.literal('res'), id: z.number().int(), result: z.unknown() }),
  z.object({ t: z.literal('err'), id: z.number().int().nullable(), error: errorDataSchema }),
  z.object({ t: z.literal('evt'), event: z.string(), payload: z.unknown() }),
]);
export type Envelope = z.infer<typeof envelopeSchema>;

/** The one Electron IPC channel; every envelope travels on it. */
export const IPC_CHANNEL = 'benchtop:rpc';

/** What the preload exposes to the renderer (window.benchtop): a tiny bridge, never raw ipcRenderer. */
export interface BridgeApi {
  send(message: Envelope): void;
  onMessage(handler: (message: Envelope) => void): () => void;
}

/** A transport moves envelopes; both ends of the RPC are written against this. */
export interface Transport {
  send(message: Envelope): void;
  /** Registers the receiver; returns a function that unregisters it. */
  onMessage(handler: (message: Envelope) => void): () => void;
}
