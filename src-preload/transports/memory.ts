/** Two connected in-memory transports: what one sends, the other receives (asynchronously, like a wire). */
import type { Envelope, Transport } from '../contract/envelope';

export function createMemoryTransportPair(): [Transport, Transport] {
  const handlers: [Set<(m: Envelope) => void>, Set<(m: Envelope) => void>] = [new Set(), new Set()];
  const make = (self: 0 | 1): Transport => ({
    send(message) {
      // Copy as a wire would, so neither side can mutate the other's objects.
      const copy = structuredClone(message);
      queueMicrotask(() => handlers[self === 0 ? 1 : 0].forEach((h) => h(copy)));
    },
    onMessage(handler) {
      handlers[self].add(handler);
      return () => handlers[self].delete(handler);
    },
  });
  return [make(0), make(1)];
}
