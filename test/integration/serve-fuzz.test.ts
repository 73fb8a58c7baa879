/**
 * The browser host under hostile input, against a real `benchtop serve` (only
 * 127.0.0.1; no container runtime needed). Every bad request or frame must end
 * that request or that connection only: after each group the process is still
 * running and a fresh, authorised connection still answers `workspaces.list`.
 * Also the Origin/Host rules that stop DNS rebinding. Bounded in count and time.
 */
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Envelope } from '../../src-preload/contract';
import { createClient } from '../../src-preload/client';
import { createWebSocketTransport, type WebSocketLike } from '../../src-preload/transports/websocket';
import { cleanup, tempDir } from '../helpers/cli';
import { CLI } from '../helpers/fixtures';
import { startServe as startServeProcess, type ServeProcess } from '../helpers/serve';

type Serve = ServeProcess;

function startServe(home: string, args: string[] = []): Promise<Serve> {
  return startServeProcess(home, args);
}

async function stopServe(s: Serve | undefined): Promise<void> {
  await s?.stop();
}

function running(s: Serve): boolean {
  return s.child.exitCode === null && s.child.signalCode === null;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = netConnect(port, '127.0.0.1');
    sock.on('connect', () => resolve(true));
    sock.on('error', () => resolve(false));
    sock.on('close', () => resolve(false));
    setTimeout(() => sock.destroy(), 50);
  });
}

/** Opens a WebSocket to /rpc; resolves with the socket, or rejects with "HTTP <status>". */
function openWs(s: Serve, opts: { token?: string; headers?: Record<string, string>; origin?: string } = {}): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${s.port}/rpc?token=${opts.token ?? s.token}`, {
    headers: opts.headers,
    ...(opts.origin ? { origin: opts.origin } : {}),
    maxPayload: 64 * 1024 * 1024,
  });
  return new Promise<WebSocket>((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`HTTP ${res.statusCode}`));
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

/** The process is alive and a fresh authorised connection answers a valid call. */
async function expectServing(s: Serve): Promise<void> {
  expect(running(s), 'benchtop serve exited').toBe(true);
  const ws = await openWs(s);
  try {
    const client = createClient(createWebSocketTransport(ws as unknown as WebSocketLike));
    expect(await client.call('workspaces.list', {})).toEqual([]);
  } finally {
    ws.close();
  }
}

/** Writes bytes on a raw TCP socket and collects whatever comes back until the server closes (or a time limit). */
function rawExchange(port: number, data: Buffer | string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const sock = netConnect(port, '127.0.0.1');
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, timeoutMs);
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', done);
    sock.on('close', done);
    sock.on('connect', () => sock.write(data));
  });
}

function statusOf(response: string): number | undefined {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(response);
  return m ? Number(m[1]) : undefined;
}

function request(s: Serve, method: string, target: string, headers: Record<string, string> = {}): Promise<string> {
  const all = { Host: `127.0.0.1:${s.port}`, Connection: 'close', ...headers };
  const lines = Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`);
  return rawExchange(s.port, `${method} ${target} HTTP/1.1\r\n${lines.join('')}\r\n`);
}

/** A client→server WebSocket frame (masked, as a client must), with any opcode and payload. */
function frame(opcode: number, payload: Buffer, fin = true): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0, 0x80 | len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126 && len < 65536) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  head[0] = (fin ? 0x80 : 0) | opcode;
  const mask = randomBytes(4);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] = (masked[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([head, mask, masked]);
}

/** Completes a WebSocket handshake on a raw TCP socket, then writes `after` and collects the answer. */
function rawUpgraded(s: Serve, after: Buffer, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = netConnect(s.port, '127.0.0.1');
    let upgraded = false;
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      if (upgraded) resolve(Buffer.concat(chunks).toString('latin1'));
      else reject(new Error(`no upgrade: ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`));
    };
    const timer = setTimeout(done, timeoutMs);
    sock.on('error', done);
    sock.on('close', done);
    sock.on('data', (d: Buffer) => {
      if (upgraded) return void chunks.push(d);
      chunks.push(d);
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return;
      if (!text.startsWith('HTTP/1.1 101')) return done();
      upgraded = true;
      chunks.length = 0;
      const rest = Buffer.concat([Buffer.from(text.slice(end + 4), 'latin1')]);
      if (rest.length) chunks.push(rest);
      sock.write(after);
    });
    sock.on('connect', () =>
      sock.write(
        `GET /rpc?token=${s.token} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
  });
}

/** Sends raw data on an open ws and resolves with the next envelope or the close code, whichever comes first. */
function nextReplyOrClose(ws: WebSocket, send: () => void, timeoutMs = 10_000): Promise<{ envelope?: Envelope; close?: number }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish({}), timeoutMs);
    const onMessage = (data: WebSocket.RawData) => finish({ envelope: JSON.parse(String(data)) as Envelope });
    const onClose = (code: number) => finish({ close: code });
    const finish = (r: { envelope?: Envelope; close?: number }) => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', onClose);
      resolve(r);
    };
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.on('error', () => undefined); // EPIPE/ECONNRESET when the server drops us mid-send.
    send();
  });
}

/** A deterministic generator, so a failing fuzz run can be repeated. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

describe('browser host under hostile input', () => {
  let home: string;
  let serve: Serve;
  beforeAll(async () => {
    home = tempDir('home');
    serve = await startServe(home);
  });
  // A crash in one group must not hide the results of the next: start a fresh host if needed.
  beforeEach(async () => {
    if (running(serve) && (await listening(serve.port))) return;
    serve.child.kill('SIGKILL');
    await serve.child;
    serve = await startServe(home);
  });
  afterAll(async () => {
    await stopServe(serve);
    cleanup(home);
  });

  it('answers a folder, with or without a trailing slash, and never crashes', async () => {
    for (const target of ['/assets/', '/assets', '/', '//', '///', '/assets//', '/assets/.', '/.', '/index.html/', '/?token=x']) {
      const res = await request(serve, 'GET', target);
      const status = statusOf(res);
      expect(status, `GET ${target}: ${res.slice(0, 80)}`).toBeDefined();
      expect(status, `GET ${target}`).toBeLessThan(500);
      if (target === '/' || target === '/?token=x') expect(status).toBe(200);
      if (target.startsWith('/assets')) expect(status).toBe(404);
    }
    await expectServing(serve);
  });

  it('serves nothing outside the renderer folder, however the path is written', async () => {
    const targets = [
      '/../../etc/passwd',
      '/assets/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
      '/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/..%5c..%5c..%5cetc%5cpasswd',
      '/%00',
      '/index.html%00.png',
      '/%',
      '/%zz',
      '/%c0%ae%c0%ae/etc/passwd',
      '/' + 'a/'.repeat(2000),
      '*',
      'http://127.0.0.1/etc/passwd',
      '/etc/passwd',
    ];
    for (const target of targets) {
      const res = await request(serve, 'GET', target);
      const status = statusOf(res);
      expect(status, `GET ${target.slice(0, 60)}: ${res.slice(0, 80)}`).toBeDefined();
      expect([400, 404]).toContain(status);
      expect(res).not.toContain('root:');
    }
    await expectServing(serve);
  });

  it('refuses other methods, garbage methods and malformed request lines with a 4xx', async () => {
    for (const method of ['PUT', 'DELETE', 'OPTIONS', 'PATCH', 'POST', 'TRACE', 'PROPFIND', 'BREW']) {
      const status = statusOf(await request(serve, method, '/'));
      expect(status, method).toBeGreaterThanOrEqual(400);
      expect(status, method).toBeLessThan(500);
    }
    const raws = [
      `CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n`,
      `G\x01T / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
      `GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n`,
      `GET\r\n\r\n`,
      `GET /\r\n\r\n`,
      `\x00\x01\x02\x03\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      `GET / HTTP/1.1\r\n\r\n`,
      `GET / HTTP/1.0\r\n\r\n`,
      `GET /${'x'.repeat(100_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
    ];
    for (const raw of raws) {
      const res = await rawExchange(serve.port, raw);
      const status = statusOf(res);
      // Either a 4xx or a closed connection; never a 2xx, never a 5xx.
      if (status !== undefined) expect(status, JSON.stringify(raw.slice(0, 40))).toBeGreaterThanOrEqual(400);
      if (status !== undefined) expect(status, JSON.stringify(raw.slice(0, 40))).toBeLessThan(500);
    }
    const rand = prng(7);
    for (let i = 0; i < 30; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)));
      await rawExchange(serve.port, bytes, 1000);
    }
    await expectServing(serve);
  });

  it('answers a 100 KB header with 431', async () => {
    const res = await rawExchange(serve.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${serve.port}\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`);
    expect(statusOf(res)).toBe(431);
    const many = Array.from({ length: 3000 }, (_, i) => `X-H${i}: ${i}\r\n`).join('');
    const status = statusOf(await rawExchange(serve.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${serve.port}\r\n${many}\r\n`));
    if (status !== undefined) expect(status).toBeGreaterThanOrEqual(400);
    await expectServing(serve);
  });

  it('sends frame-ancestors none and X-Frame-Options DENY', async () => {
    const res = await request(serve, 'GET', '/');
    expect(statusOf(res)).toBe(200);
    expect(res).toMatch(/content-security-policy: [^\r]*frame-ancestors 'none'/i);
    expect(res).toMatch(/x-frame-options: deny/i);
  });

  it('refuses a request whose Host is not this machine (DNS rebinding), over HTTP and on the upgrade', async () => {
    for (const host of ['evil.example', `evil.example:${serve.port}`, `127.0.0.1.evil.example:${serve.port}`, `localhost.evil.example`, `evil.example@127.0.0.1:${serve.port}`]) {
      const status = statusOf(await request(serve, 'GET', '/', { Host: host }));
      expect([400, 403, 421], `Host: ${host}`).toContain(status);
    }
    // The page from evil.example, now resolving to 127.0.0.1, with its own Origin and Host.
    await expect(openWs(serve, { headers: { Host: `evil.example:${serve.port}` }, origin: `http://evil.example:${serve.port}` })).rejects.toThrow(/HTTP (403|421)/);
    await expect(openWs(serve, { headers: { Host: `evil.example:${serve.port}` } })).rejects.toThrow(/HTTP (403|421)/);
    for (const origin of ['null', 'http://evil.example', `http://localhost.evil.example:${serve.port}`, `http://127.0.0.1.evil.example`, 'file://', 'chrome-extension://abc']) {
      await expect(openWs(serve, { origin }), origin).rejects.toThrow('HTTP 403');
    }
    await expectServing(serve);
  });

  it('accepts loopback names on any port, as through `ssh -L 9000:127.0.0.1:PORT`', async () => {
    for (const [host, origin] of [
      ['localhost:9000', 'http://localhost:9000'],
      ['127.0.0.1:9000', 'http://127.0.0.1:9000'],
      ['[::1]:9000', 'http://[::1]:9000'],
      ['localhost', 'https://localhost'],
    ] as const) {
      expect(statusOf(await request(serve, 'GET', '/', { Host: host })), host).toBe(200);
      const ws = await openWs(serve, { headers: { Host: host }, origin });
      const client = createClient(createWebSocketTransport(ws as unknown as WebSocketLike));
      expect(await client.call('workspaces.list', {})).toEqual([]);
      ws.close();
    }
  });

  it('ends only the connection that sends random bytes after the upgrade', async () => {
    const rand = prng(42);
    for (let i = 0; i < 40; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 512) }, () => Math.floor(rand() * 256)));
      await rawUpgraded(serve, bytes, 1000);
    }
    // Well-formed frames with reserved opcodes, reserved bits, a fragmented control frame, a bogus close code.
    await rawUpgraded(serve, frame(0x3, Buffer.from('{}')));
    await rawUpgraded(serve, Buffer.from([0xf1, 0x80, 0, 0, 0, 0]));
    await rawUpgraded(serve, frame(0x9, Buffer.from('ping'), false));
    await rawUpgraded(serve, frame(0x8, Buffer.from([0x03, 0xe7])));
    await rawUpgraded(serve, Buffer.from([0x81, 0x02, 0x7b, 0x7d])); // unmasked client frame
    // A header claiming a 2^63-byte payload.
    await rawUpgraded(serve, Buffer.from([0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]));
    await expectServing(serve);
  });

  it('closes a text frame with invalid UTF-8 with 1007, and keeps serving', async () => {
    const ws = await openWs(serve);
    const r = await nextReplyOrClose(ws, () => ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false }));
    expect(r.close).toBe(1007);
    const raw = await rawUpgraded(serve, frame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])));
    expect(raw.length).toBeGreaterThan(0);
    await expectServing(serve);
  });

  it('closes a 50 MB frame with 1009, and keeps serving', async () => {
    const ws = await openWs(serve);
    const r = await nextReplyOrClose(ws, () => ws.send(Buffer.alloc(50 * 1024 * 1024, 0x20), { binary: false }), 30_000);
    // 1009 when the close frame reaches us, 1006 when the server's reset wins the race with it.
    expect([1009, 1006]).toContain(r.close);
    await expectServing(serve);
  });

  it('refuses binary frames politely and keeps the connection', async () => {
    const ws = await openWs(serve);
    const req = JSON.stringify({ t: 'req', id: 1, method: 'workspaces.list', params: {} });
    const r = await nextReplyOrClose(ws, () => ws.send(Buffer.from(req), { binary: true }));
    expect(r.envelope).toMatchObject({ t: 'err', id: null, error: { code: 'INVALID_INPUT' } });
    expect(JSON.stringify(r.envelope)).toMatch(/binary/);
    for (const bytes of [Buffer.alloc(0), randomBytes(1000), Buffer.from([0xff, 0xfe])]) {
      const r2 = await nextReplyOrClose(ws, () => ws.send(bytes, { binary: true }));
      expect(r2.envelope?.t).toBe('err');
    }
    const client = createClient(createWebSocketTransport(ws as unknown as WebSocketLike));
    expect(await client.call('workspaces.list', {})).toEqual([]);
    ws.close();
    await expectServing(serve);
  });

  it('answers deeply nested JSON with INVALID_INPUT, without blowing the stack', async () => {
    const depth = 100_000;
    const arrays = '['.repeat(depth) + ']'.repeat(depth);
    const objects = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const messages = [
      arrays,
      objects,
      `{"t":"req","id":1,"method":"workspaces.list","params":${arrays}}`,
      `{"t":"req","id":2,"method":"workspaces.list","params":{"x":${objects}}}`,
      `{"t":"req","id":3,"method":"workspaces.create","params":{"name":${arrays},"backend":"bwrap"}}`,
      `{"t":"req","id":4,"method":"workspaces.create","params":{"name":"deep","backend":"bwrap","env":{"A":${objects}}}}`,
      `{"t":"req","id":5,"method":${arrays},"params":{}}`,
      `{"t":"err","id":null,"error":{"code":"INTERNAL","message":"x","details":{"d":${arrays}}}}`,
      `{"t":"evt","event":"x","payload":${objects}}`,
      `{"t":"res","id":6,"result":${arrays}}`,
    ];
    const ws = await openWs(serve);
    const replies: Envelope[] = [];
    const numbered = new Promise<void>((resolve) => {
      ws.on('message', (d) => {
        replies.push(JSON.parse(String(d)) as Envelope);
        if ([1, 2, 3, 4].every((id) => replies.some((r) => 'id' in r && r.id === id))) resolve();
      });
    });
    for (const m of messages) ws.send(m);
    await Promise.race([numbered, new Promise((_, reject) => setTimeout(() => reject(new Error(JSON.stringify(replies).slice(0, 500))), 20_000))]);
    for (const id of [1, 2, 3, 4]) {
      expect(replies.find((r) => 'id' in r && r.id === id), `reply ${id}`).toMatchObject({ t: 'err', error: { code: 'INVALID_INPUT' } });
    }
    const client = createClient(createWebSocketTransport(ws as unknown as WebSocketLike));
    expect(await client.call('workspaces.list', {})).toEqual([]);
    // The three messages that are no envelope at all (nested arrays, nested objects, a nested method) got one error each.
    expect(replies.filter((r) => r.t === 'err' && r.id === null)).toHaveLength(3);
    ws.close();
    await expectServing(serve);
  });

  it('answers every one of a burst of 2000 messages, valid and not, and keeps serving', async () => {
    const ws = await openWs(serve);
    const ids = new Set<number>();
    let errors = 0;
    const all = new Promise<void>((resolve) => {
      ws.on('message', (d) => {
        const m = JSON.parse(String(d)) as Envelope;
        if (m.t === 'res') ids.add(m.id);
        if (m.t === 'err') errors++;
        if (ids.size === 1500 && errors === 500) resolve();
      });
    });
    for (let i = 0; i < 2000; i++) {
      if (i % 4 === 3) ws.send(i % 8 === 3 ? 'not json' : JSON.stringify({ t: 'req', id: i, method: 'no.such.method', params: {} }));
      else ws.send(JSON.stringify({ t: 'req', id: i, method: 'workspaces.list', params: {} }));
    }
    await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error(`${ids.size} replies, ${errors} errors`)), 60_000))]);
    ws.close();
    await expectServing(serve);
  });
});

describe('browser host origins from --host and --allow-origin', () => {
  let home: string;
  let serve: Serve | undefined;
  beforeAll(() => {
    home = tempDir('home');
  });
  afterAll(async () => {
    await stopServe(serve);
    cleanup(home);
  });

  it('accepts the bound address and each --allow-origin, and nothing else', async () => {
    // Any 127/8 address is this machine's loopback on Linux: a stand-in for a LAN address.
    serve = await startServe(home, ['--host', '127.0.0.2', '--allow-origin', 'https://bench.example.org', '--allow-origin', 'http://proxy.example:8443']);
    const s = serve;
    const viaBound = (ws: WebSocket) => createClient(createWebSocketTransport(ws as unknown as WebSocketLike)).call('workspaces.list', {});
    const open = (host: string, origin?: string) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.2:${s.port}/rpc?token=${s.token}`, { headers: { Host: host }, ...(origin ? { origin } : {}) });
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
        ws.once('error', reject);
      });
    for (const [host, origin] of [
      [`127.0.0.2:${s.port}`, `http://127.0.0.2:${s.port}`],
      ['bench.example.org', 'https://bench.example.org'],
      ['proxy.example:8443', 'http://proxy.example:8443'],
      ['localhost:9000', 'http://localhost:9000'],
    ] as const) {
      const ws = await open(host, origin);
      expect(await viaBound(ws)).toEqual([]);
      ws.close();
    }
    await expect(open('bench.example.org', 'http://bench.example.org')).rejects.toThrow('HTTP 403');
    await expect(open('proxy.example:8443', 'http://proxy.example:9999')).rejects.toThrow('HTTP 403');
    await expect(open('evil.example', 'https://bench.example.org')).rejects.toThrow(/HTTP (403|421)/);
    const httpStatus = async (host: string) => {
      const res = await new Promise<string>((resolve) => {
        const chunks: Buffer[] = [];
        const sock = netConnect(s.port, '127.0.0.2');
        sock.on('connect', () => sock.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
        sock.on('data', (d: Buffer) => chunks.push(d));
        sock.on('error', () => resolve(''));
        sock.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      });
      return statusOf(res);
    };
    expect(await httpStatus('bench.example.org')).toBe(200);
    expect(await httpStatus(`127.0.0.2:${s.port}`)).toBe(200);
    expect(await httpStatus('evil.example')).toBe(421);
  });

  it('rejects an --allow-origin that is not an http(s) origin', async () => {
    for (const bad of ['bench.example.org', 'ftp://bench.example.org', 'https://bench.example.org/app', 'https://user@bench.example.org', '*']) {
      const r = await execa('node', [CLI, 'serve', '--port', '0', '--allow-origin', bad], { env: { BENCHTOP_HOME: home }, reject: false, timeout: 20_000 });
      expect(r.exitCode, bad).toBe(2);
      expect(r.stderr).toMatch(/--allow-origin/);
    }
  });
});
