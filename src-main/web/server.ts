/**
 * The browser host: the contract over WebSocket (and the UI page over HTTP),
 * for remote use through an SSH tunnel and for e2e tests. Binds 127.0.0.1 by
 * default; every connection needs the random token and, from a browser, an
 * Origin we accept. Every request and every connection must carry a Host (and
 * Origin) naming this machine's loopback, the bound address or an
 * `--allow-origin`: a DNS-rebinding page whose name now resolves to us names
 * itself. A bad request or frame ends that request or connection, never the
 * process.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, isAbsolute, join, normalize, relative, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { createWebSocketTransport } from '../../src-preload/transports/websocket';
import { packageRoot } from '../core/host/package-root';
import { TerminalService } from '../core/terminals/service';
import { pollDataFolder } from '../core/workspaces/poll';
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
  /**
   * Origins a browser may connect from besides loopback (any port) and the bound
   * address, e.g. a reverse proxy's `https://bench.example.org`; their host names
   * are accepted in the Host header too. Each must be a bare `http(s)://HOST[:PORT]`.
   */
  allowOrigins?: string[];
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

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** Host names that are this machine whatever the port: an `ssh -L 9000:127.0.0.1:PORT` tunnel arrives as one of these. */
const LOOPBACK_HOSTS = ['127.0.0.1', '[::1]', 'localhost'];
/** Bound "addresses" that name no host a browser could use. */
const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '[::]']);

/** A Host header's name: `name` or `[v6]`, an optional port, nothing else (no userinfo, no path). */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::\d{1,5})?$/i;

/** The canonical form of a host name as URL spells it (lower case, IPv6 in brackets and compressed); undefined if it is none. */
function canonicalHostname(name: string): string | undefined {
  const bracketed = name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
  try {
    return new URL(`http://${bracketed}`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * `--allow-origin`'s value as a browser would send it in Origin (`https://bench.example.org`,
 * `http://10.0.0.5:8080`). Throws on anything that is not a bare http(s) origin.
 */
export function parseAllowedOrigin(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.pathname !== '/' || url.search || url.hash || value.includes('*')) {
    throw new Error(`expected an origin such as https://bench.example.org or http://10.0.0.5:8080, got "${value}"`);
  }
  return url.origin;
}

/** Decides which Host headers and Origins are this server's. */
function originPolicy(options: ServeOptions) {
  const allowedOrigins = new Set((options.allowOrigins ?? []).map(parseAllowedOrigin));
  const bound = canonicalHostname(options.host);
  // Origins from the bound address or a loopback name are accepted on any port.
  const anyPortHosts = new Set([...LOOPBACK_HOSTS, ...(bound && !WILDCARD_HOSTS.has(bound) ? [bound] : [])]);
  const hostNames = new Set([...anyPortHosts, ...[...allowedOrigins].map((o) => new URL(o).hostname)]);
  return {
    /** 400 without a usable Host header, 421 for a name that is not ours, undefined when fine. */
    hostProblem(host: string | undefined): 400 | 421 | undefined {
      const m = host ? HOST_HEADER.exec(host) : null;
      const name = m ? canonicalHostname(m[1] as string) : undefined;
      if (!name) return 400;
      return hostNames.has(name) ? undefined : 421;
    },
    originAllowed(origin: string): boolean {
      if (allowedOrigins.has(origin)) return true;
      let url: URL;
      try {
        url = new URL(origin);
      } catch {
        return false;
      }
      // Exactly as a browser serialises an origin: no path, no userinfo, nothing to normalise.
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === origin && anyPortHosts.has(url.hostname);
    },
  };
}

/** The decoded path of an origin-form request target, or undefined for anything else (`*`, absolute form, bad escapes, NUL). */
function requestPath(target: string | undefined): { path: string; query: URLSearchParams } | undefined {
  if (!target?.startsWith('/')) return undefined;
  const q = target.indexOf('?');
  let path: string;
  try {
    path = decodeURIComponent(q === -1 ? target : target.slice(0, q));
  } catch {
    return undefined;
  }
  if (path.includes('\0') || path.includes('\\')) return undefined;
  return { path, query: new URLSearchParams(q === -1 ? '' : target.slice(q + 1)) };
}

export async function serve(options: ServeOptions): Promise<Served> {
  const policy = originPolicy(options);
  const token = randomBytes(24).toString('hex');
  const service = new WorkspaceService({ home: options.home });
  const terminals = new TerminalService(service);
  const { server: rpc, dispose } = createServiceRpc(service, terminals);
  const rendererDir = resolve(options.rendererDir ?? join(packageRoot(), 'out', 'renderer'));
  const complain = (what: string) => {
    if (!options.quiet) process.stderr.write(`benchtop serve: ${what}\n`);
  };

  const send = (res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hostProblem = policy.hostProblem(req.headers.host);
    if (hostProblem === 400) return send(res, 400, 'bad request: no usable Host header\n');
    // Names no accepted host (the list itself is not shown: a rebinding page could read it).
    if (hostProblem === 421) return send(res, 421, 'misdirected request: this server answers only to loopback, its --host and its --allow-origin names\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', undefined, { Allow: 'GET, HEAD' });
    const target = requestPath(req.url);
    if (!target) return send(res, 400, 'bad request\n');
    const rel = normalize(target.path === '/' ? '/index.html' : target.path);
    const file = join(rendererDir, rel);
    const inside = relative(rendererDir, file);
    const info = inside && !inside.startsWith('..') && !isAbsolute(inside) ? await stat(file).catch(() => undefined) : undefined;
    // Only regular files: a folder (/assets/) or anything else is "not found", never a read of a directory.
    if (!info?.isFile()) {
      if (rel === '/index.html') return send(res, 200, PLACEHOLDER, TYPES['.html']);
      return send(res, 404, 'not found\n');
    }
    const body = await readFile(file);
    send(res, 200, body, TYPES[extname(file)] ?? 'application/octet-stream');
  }

  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      // The path only: the query may hold the token.
      complain(`${req.method} ${String(req.url).split('?')[0]?.slice(0, 200)}: ${(err as Error)?.message ?? String(err)}`);
      try {
        if (res.headersSent) res.destroy();
        else send(res, 500, 'internal error\n');
      } catch {
        res.destroy();
      }
    });
  });
  // Malformed requests, huge headers, timeouts: answer what we can, then drop the socket.
  http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, text] =
      err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    setTimeout(() => socket.destroy(), 1000).unref();
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  wss.on('error', (err) => complain(`websocket server: ${err.message}`));
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Until ws takes the socket over, nobody else listens for its errors (a client reset would be uncaught).
    socket.on('error', () => socket.destroy());
    const refuse = (status: number, why: string) => {
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      setTimeout(() => socket.destroy(), 1000).unref();
    };
    try {
      const target = requestPath(req.url);
      if (target?.path !== '/rpc') return refuse(404, 'Not Found');
      const hostProblem = policy.hostProblem(req.headers.host);
      if (hostProblem === 400) return refuse(400, 'Bad Request');
      if (hostProblem === 421) return refuse(421, 'Misdirected Request');
      if (!tokenMatches(target.query.get('token'), token)) return refuse(401, 'Unauthorized');
      // Browsers always send Origin; a page from another site must not drive this API.
      const origin = req.headers.origin;
      if (origin !== undefined && !policy.originAllowed(origin)) return refuse(403, 'Forbidden');
      wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        // A bad frame (oversize 1009, invalid UTF-8 1007, protocol error 1002) ends this connection only: ws closes it.
        ws.on('error', () => undefined);
        const transport = createWebSocketTransport(ws as unknown as Parameters<typeof createWebSocketTransport>[0], (reason) =>
          transport.send({ t: 'err', id: null, error: { code: 'INVALID_INPUT', message: reason } }),
        );
        const detach = rpc.attach(transport, { client: 'web' });
        ws.on('close', detach);
      });
    } catch (err) {
      complain(`upgrade: ${(err as Error)?.message ?? String(err)}`);
      socket.destroy();
    }
  });

  await new Promise<void>((ok, fail) => {
    http.once('error', fail);
    http.listen(options.port, options.host, () => {
      http.off('error', fail);
      ok();
    });
  });
  // After listening (e.g. EMFILE on accept): report, keep serving.
  http.on('error', (err) => complain(err.message));
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${shownHost}:${port}/?token=${token}`;

  // What changes in the data folder (the CLI, another window) reaches every client as an event
  // within a second; the backends are reconciled (a container killed outside, an expired TTL) every 2 s.
  const stopPolling = pollDataFolder(service, options.refreshMs ?? 2000);
  // Disk use, measured after each command and every minute (the quota is checked against it).
  const stopMeasuring = service.measureDiskInBackground();
  await service.poll().catch(() => undefined);

  if (!options.quiet) process.stdout.write(`${url}\n`);
  return {
    url,
    token,
    port,
    async close() {
      stopPolling();
      stopMeasuring();
      await terminals.closeAll();
      dispose();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((ok) => http.close(() => ok()));
    },
  };
}
