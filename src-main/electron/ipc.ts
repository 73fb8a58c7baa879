/**
 * The IPC adapter: one channel, the generic envelope, accepted only from our
 * own window's main frame. Everything else is the shared RPC server.
 */
import { ipcMain, type IpcMainEvent, type WebContents } from 'electron';
import { envelopeSchema, IPC_CHANNEL, type Envelope, type Transport } from '../../src-preload/contract';

export function createIpcTransport(contents: WebContents): { transport: Transport; dispose: () => void } {
  const handlers = new Set<(m: Envelope) => void>();
  const listener = (event: IpcMainEvent, raw: unknown) => {
    // Only our window's top frame may speak: not another window, not a subframe.
    if (event.sender !== contents || event.senderFrame !== contents.mainFrame) return;
    const parsed = envelopeSchema.safeParse(raw);
    if (!parsed.success) {
      contents.send(IPC_CHANNEL, { t: 'err', id: null, error: { code: 'INVALID_INPUT', message: 'message is not an RPC envelope' } });
      return;
    }
    for (const h of handlers) h(parsed.data);
  };
  ipcMain.on(IPC_CHANNEL, listener);
  return {
    transport: {
      send(message) {
        if (!contents.isDestroyed()) contents.send(IPC_CHANNEL, message);
      },
      onMessage(handler) {
        handlers.add(handler);
        return () => handlers.delete(handler);
      },
    },
    dispose: () => ipcMain.removeListener(IPC_CHANNEL, listener),
  };
}
