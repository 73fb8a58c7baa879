/**
 * The Electron shell: one hardened window over the shared core. The only
 * place (with the preload) that imports electron.
 */
import { app, BrowserWindow, Menu, session, shell } from 'electron';
import { join } from 'node:path';
import { defaultDataHome } from '../core/store/layout';
import { TerminalService } from '../core/terminals/service';
import { pollDataFolder } from '../core/workspaces/poll';
import { WorkspaceService } from '../core/workspaces/service';
import { createServiceRpc } from '../rpc/handlers';
import { createIpcTransport } from './ipc';

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

function createWindow(service: WorkspaceService, terminals: TerminalService): void {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'Benchtop',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
    },
  });
  // No navigation away from our page and no new windows; links open in the system browser.
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:/.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  const { server, dispose } = createServiceRpc(service, terminals);
  const ipc = createIpcTransport(win.webContents);
  const detach = server.attach(ipc.transport, { client: 'app' });
  win.on('closed', () => {
    detach();
    ipc.dispose();
    dispose();
  });
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(join(import.meta.dirname, '../renderer/index.html'));
}

void app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      { role: 'fileMenu' },
      { role: 'editMenu' },
      { role: 'viewMenu' },
      { role: 'windowMenu' },
    ]),
  );
  const service = new WorkspaceService({ home: defaultDataHome() });
  // The backend is the truth: reconcile (and reap expired workspaces) in the background,
  // and pass on what other processes change in the data folder.
  const stopPolling = pollDataFolder(service, 2000);
  app.on('will-quit', stopPolling);
  // Terminals belong to the app, not to a window: a reloaded or reopened window reattaches.
  const terminals = new TerminalService(service);
  app.on('will-quit', () => void terminals.closeAll());
  createWindow(service, terminals);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow(service, terminals);
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
