/**
 * The browser host: the contract over WebSocket (and the UI page over HTTP),
 * for remote use through an SSH tunnel and for e2e tests. Binds 127.0.0.1 by
 * default; every connection needs the random token and, from a browser, our
 * own Origin.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { createWebSocketTransport } from '../../src-preload/transports/websocket';
import { packageRoot } from '../core/host/package-root';
import { TerminalService } from '../core/terminals/service';
import { WorkspaceService } from '../core/workspaces/service';
import { createServiceRpc } from '../rpc/handlers';

export interface ServeOptions {
  home: string;
  host: string;
  port: number;
  /** Where the built renderer lives (served at /); a placeholder page when absent. */
  rendererDir?: string;
  /** How often the backends are reconciled, so outside changes reach clients as events. */
  refreshMs?: number;
  quiet?: boolean;
}

export interface Served {
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

function tokenMatches(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

const PLACEHOLDER = `<!doctype html><meta charset="utf-8"><title>Benchtop</title>
<p>Benchtop browser host is running. The RPC endpoint is <code>/rpc?token=…</code>.</p>`;

export async function serve(options: ServeOptions): Promise<Served> {
  const token = randomBytes(24).toString('hex');
  const service = new WorkspaceService({ home: options.home });
  const terminals = new TerminalService(service);
  const { server: rpc, dispose } = createServiceRpc(service, terminals);
  const rendererDir = options.rendererDir ?? join(packageRoot(), 'out', 'renderer');

  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers = {
      'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    };
    if (req.method !== 'GET') {
      res.writeHead(405, headers).end();
      return;
    }
    const rel = normalize(url.pathname === '/' ? '/index.html' : url.pathname);
    const file = join(rendererDir, rel);
    if (!file.startsWith(rendererDir + sep) || !existsSync(file)) {
      if (rel === '/index.html') res.writeHead(200, { ...headers, 'Content-Type': TYPES['.html'] }).end(PLACEHOLDER);
      else res.writeHead(404, headers).end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const origin = req.headers.origin;
    const host = req.headers.host;
    const ownOrigins = host ? [`http://${host}`, `https://${host}`] : [];
    const refuse = (status: number, why: string) => {
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== '/rpc') return refuse(404, 'Not Found');
    if (!tokenMatches(url.searchParams.get('token'), token)) return refuse(401, 'Unauthorized');
    // Browsers always send Origin; a page from another site must not drive this API.
    if (origin !== undefined && !ownOrigins.includes(origin)) return refuse(403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const transport = createWebSocketTransport(ws as unknown as Parameters<typeof createWebSocketTransport>[0], (reason) =>
        transport.send({ t: 'err', id: null, error: { code: 'INVALID_INPUT', message: reason } }),
      );
      const detach = rpc.attach(transport, { client: 'web' });
      ws.on('close', detach);
    });
  });

  await new Promise<void>((ok, fail) => {
    http.once('error', fail);
    http.listen(options.port, options.host, () => ok());
  });
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${shownHost}:${port}/?token=${token}`;

  // Reconcile on a timer so a container killed outside, an expired TTL or a
  // CLI change in the same data folder reaches every client as an event.
  let refreshing = false;
  const timer = setInterval(() => {
    if (refreshing) return;
    refreshing = true;
    service.refresh().catch(() => undefined).finally(() => (refreshing = false));
  }, options.refreshMs ?? 2000);
  await service.refresh().catch(() => undefined);

  if (!options.quiet) process.stdout.write(`${url}\n`);
  return {
    url,
    token,
    port,
    async close() {
      clearInterval(timer);
      await terminals.closeAll();
      dispose();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((ok) => http.close(() => ok()));
    },
  };
}
