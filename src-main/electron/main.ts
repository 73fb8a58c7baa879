/**
 * The Electron shell: one hardened window over the shared core. The only
 * place (with the preload) that imports electron.
 */
import { app, BrowserWindow, dialog, Menu, nativeTheme, session, shell } from 'electron';
import { join } from 'node:path';
import { defaultDataHome } from '../core/store/layout';
import { TerminalService } from '../core/terminals/service';
import { pollDataFolder } from '../core/workspaces/poll';
import { WorkspaceService } from '../core/workspaces/service';
import { createServiceRpc } from '../rpc/handlers';
import { createIpcTransport } from './ipc';
import { OwnActions, watchOwnActions } from '../../src-preload/notify/own-actions';
import { notifyWhileAway } from './notify';

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

function createWindow(service: WorkspaceService, terminals: TerminalService): void {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'Benchtop',
    // The page's own background (styles.css --bg), so a dark system sees no white flash before it paints.
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#15181e' : '#f5f6f8',
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
  const { server, dispose } = createServiceRpc(service, terminals, {
    // The system's own folder dialog, over this window.
    'host.pickFolder': async (p) => {
      const r = await dialog.showOpenDialog(win, { title: p.title ?? 'Choose a project folder', properties: ['openDirectory', 'createDirectory'], ...(p.defaultPath ? { defaultPath: p.defaultPath } : {}) });
      return { path: r.canceled ? null : (r.filePaths[0] ?? null) };
    },
  });
  const ipc = createIpcTransport(win.webContents);
  const own = new OwnActions();
  const detach = server.attach(watchOwnActions(ipc.transport, own), { client: 'app' });
  const stopNotifying = notifyWhileAway(win, service, own);
  win.on('closed', () => {
    stopNotifying();
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
  // Disk use, measured after each command and every minute (the quota is checked against it).
  app.on('will-quit', service.measureDiskInBackground());
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
