/**
 * The Electron preload: exposes one small bridge (send, onMessage) over
 * contextBridge. The renderer builds the typed client on top of it — the same
 * client that runs over WebSocket in the browser host.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CHANNEL, type BridgeApi, type Envelope } from './contract/envelope';

const api: BridgeApi = {
  send(message: Envelope) {
    ipcRenderer.send(IPC_CHANNEL, message);
  },
  onMessage(handler) {
    const listener = (_event: IpcRendererEvent, message: Envelope) => handler(message);
    ipcRenderer.on(IPC_CHANNEL, listener);
    return () => ipcRenderer.removeListener(IPC_CHANNEL, listener);
  },
};

contextBridge.exposeInMainWorld('benchtop', api);
