/**
 * Connection sessions of the real guest agent (`EXEC connect=PORT`, run on
 * the host with --stdio, so 127.0.0.1 is the host's and the servers are real
 * TCP servers of this test): STARTED once connected, a refused port as one
 * ERROR line, half-close (the request ended, the answer still read), output
 * and stdin credit holding for a socket as for a process, SIGNAL and CLOSE
 * closing it. Then the host's side: AgentConnection.connectPort through the
 * mux, and dist/agent-relay.js, the program a VM's published port runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { AgentConnection } from '../../../src-main/core/agent/client';
import { encodeKv, encodeU32, T } from '../../../src-main/core/agent/frames';
import { AgentMux } from '../../../src-main/core/agent/mux';
import { AGENT_BIN, AgentHost, describeWithAgent, outputBytes, stdoutOf } from '../../helpers/agent';
import { REPO } from '../../helpers/fixtures';

const RELAY = resolve(REPO, 'dist/agent-relay.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP server on 127.0.0.1 of this host; `onConn` gets each connection. */
async function serve(onConn: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, onConn);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, port: (server.address() as { port: number }).port };
}

/** A port nothing listens on right now. */
async function closedPort(): Promise<number> {
  const { server, port } = await serve(() => undefined);
  await new Promise((r) => server.close(r));
  return port;
}

/** Answers `got N bytes: FIRST` once the client has ended its side, then closes. */
function answerAfterEnd(s: Socket): void {
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  s.on('end', () => {
    const all = Buffer.concat(chunks);
    s.end(`got ${all.length} bytes: ${all.subarray(0, 20).toString()}`);
  });
}

const connectPayload = (port: number | string) => encodeKv([['connect', port]]);

const hosts: AgentHost[] = [];
const servers: Server[] = [];
function agent(): AgentHost {
  const h = new AgentHost();
  hosts.push(h);
  h.greet();
  return h;
}
async function server(onConn: (s: Socket) => void): Promise<number> {
  const { server: s, port } = await serve(onConn);
  servers.push(s);
  return port;
}
afterEach(() => {
  for (const h of hosts.splice(0)) h.kill();
  for (const s of servers.splice(0)) s.close();
});

describeWithAgent('benchtop-agent connection sessions (EXEC connect=PORT)', () => {
  it('connects, carries a request that ends (half-close) and its answer, then EXIT code=0', async () => {
    const h = agent();
    const port = await server(answerAfterEnd);
    h.send(1, T.EXEC, connectPayload(port));
    await h.until(() => h.frames.some((f) => f.session === 1 && f.type === T.STARTED), 5000, 'STARTED');
    expect(h.frames.find((f) => f.type === T.STARTED)!.payload.length).toBe(0);
    h.send(1, T.STDIN, Buffer.from('GET / HTTP/1.0\r\n\r\n'));
    h.send(1, T.STDIN_EOF);
    const s = await h.ended(1);
    expect(stdoutOf(s)).toBe('got 18 bytes: GET / HTTP/1.0\r\n\r\n');
    expect(s.exit).toEqual({ code: 0 });
    expect(s.stdinCredit).toBe(18);
    // EXIT after the last output.
    expect(h.frames.filter((f) => f.session === 1).map((f) => f.type).slice(-2)).toEqual([T.STDOUT, T.EXIT]);
  });

  it('answers a refused port with one ERROR line and never STARTED; the session id is free again', async () => {
    const h = agent();
    const port = await closedPort();
    h.send(1, T.EXEC, connectPayload(port));
    const s = await h.ended(1);
    expect(s.error).toBe(`connect 127.0.0.1:${port}: Connection refused`);
    expect(h.frames.some((f) => f.type === T.STARTED)).toBe(false);
    // A late frame for it is ignored (no protocol error), and the id can be used again.
    h.send(1, T.STDIN, Buffer.from('late'));
    const ok = await server(answerAfterEnd);
    h.sessions.delete(1);
    h.send(1, T.EXEC, connectPayload(ok));
    h.send(1, T.STDIN_EOF);
    expect(stdoutOf(await h.ended(1))).toBe('got 0 bytes: ');
    expect(h.protocolErrors).toEqual([]);
  });

  it('refuses a bad port, and connect together with arg, as protocol errors', async () => {
    const h = agent();
    h.send(1, T.EXEC, connectPayload('0'));
    expect(await h.exited).toEqual({ code: 1, signal: null });
    expect(h.protocolErrors).toEqual(['EXEC connect must be a port 1..65535']);
    const h2 = agent();
    h2.send(1, T.EXEC, encodeKv([['arg', 'sh'], ['connect', 80]]));
    await h2.exited;
    expect(h2.protocolErrors).toEqual(['EXEC has both arg and connect']);
  });

  it('output credit: a server that floods stops at 262144 bytes until CREDIT comes, then EXIT after the last byte', async () => {
    const h = agent();
    h.autoCredit = false;
    const total = 1 << 20;
    const port = await server((s) => s.end(Buffer.alloc(total, 0x61)));
    h.send(1, T.EXEC, connectPayload(port));
    const s = h.session(1);
    await h.until(() => outputBytes(s) >= 262144, 5000, 'the first credit');
    await sleep(300);
    expect(outputBytes(s)).toBe(262144);
    expect(s.exit).toBeUndefined();
    // More than the rest: with its credit spent the agent would not even read the EOF.
    h.send(1, T.CREDIT, encodeU32(total));
    await h.ended(1);
    expect(outputBytes(s)).toBe(total);
    expect(s.exit).toEqual({ code: 0 });
  });

  it('stdin credit: a server that does not read holds the host back; once it reads, every byte arrives and is credited', async () => {
    const h = agent();
    let conn: Socket | undefined;
    let received = 0;
    const port = await server((s) => {
      conn = s;
      s.pause();
      s.on('data', (c: Buffer) => (received += c.length));
      s.on('end', () => s.end(`${received}`));
    });
    h.send(1, T.EXEC, connectPayload(port));
    await h.until(() => conn !== undefined && h.frames.some((f) => f.type === T.STARTED), 5000, 'connected');
    const s = h.session(1);
    // Send whatever the credit allows, until it stops coming back.
    let sent = 0;
    const chunk = Buffer.alloc(65536, 0x62);
    for (;;) {
      while (sent - s.stdinCredit + chunk.length <= 262144) {
        h.send(1, T.STDIN, chunk);
        sent += chunk.length;
      }
      const before = s.stdinCredit;
      await sleep(400);
      if (s.stdinCredit === before) break;
      if (sent > 256 << 20) throw new Error('the credit never stopped: the agent buffers without bound');
    }
    // Held back: the socket's buffers are full, the agent holds one credit's worth at most.
    expect(sent - s.stdinCredit).toBeGreaterThan(0);
    expect(sent - s.stdinCredit).toBeLessThanOrEqual(262144);
    conn!.resume();
    h.send(1, T.STDIN_EOF);
    await h.ended(1, 20_000);
    expect(stdoutOf(s)).toBe(String(sent));
    expect(s.stdinCredit).toBe(sent);
  });

  it('SIGNAL closes the socket (EXIT signal=N); CLOSE closes it with nothing after', async () => {
    const h = agent();
    const closed: number[] = [];
    let n = 0;
    const port = await server((s) => {
      const me = ++n;
      s.resume();
      // Half-open allowed: the agent closing its socket is the end of this one's input.
      s.on('end', () => closed.push(me));
      s.on('error', () => undefined);
    });
    h.send(1, T.EXEC, connectPayload(port));
    h.send(2, T.EXEC, connectPayload(port));
    await h.until(() => h.frames.filter((f) => f.type === T.STARTED).length === 2 && n === 2, 5000, 'both connected');
    h.send(1, T.SIGNAL, Buffer.from([15]));
    expect((await h.ended(1)).exit).toEqual({ signal: 15 });
    h.send(2, T.CLOSE);
    await h.until(() => closed.length === 2, 5000, 'the server to see both closed');
    await sleep(200);
    expect(h.session(2).exit).toBeUndefined();
    expect(h.protocolErrors).toEqual([]);
  });
});

describeWithAgent('connections from the host side: connectPort and agent-relay.js', () => {
  let agentProc: ChildProcess;
  let mux: Server;
  let dir: string;
  let sock: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'benchtop-relay-'));
    sock = join(dir, 'agent.sock');
    agentProc = spawn(AGENT_BIN, ['--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((ok) => {
      const m = new AgentMux(agentProc.stdout!, agentProc.stdin!, { onReady: () => ok() });
      mux = createServer((s) => m.addClient(s));
    });
    await new Promise<void>((ok) => mux.listen(sock, ok));
  });

  afterAll(() => {
    mux?.close();
    agentProc?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connectPort: a SandboxProcess whose stdout is the answer; end() half-closes; a refused port is its spawnError', async () => {
    const conn = await AgentConnection.connect(sock);
    const port = await server(answerAfterEnd);
    const out: Buffer[] = [];
    const p = await conn.connectPort(port, (_s, d) => out.push(d));
    await p.write('hello');
    p.end();
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(Buffer.concat(out).toString()).toBe('got 5 bytes: hello');
    const gone = await closedPort();
    const refused = await conn.connectPort(gone, () => undefined);
    expect((await refused.exited).spawnError).toBe(`connect 127.0.0.1:${gone}: Connection refused`);
    conn.close();
  });

  it('agent-relay.js pipes stdin and stdout through, each direction closed on its own', async () => {
    expect(existsSync(RELAY), `${RELAY} is built by scripts/build-cli.mjs`).toBe(true);
    const port = await server(answerAfterEnd);
    const relay = spawn(process.execPath, [RELAY, sock, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    relay.stdout.on('data', (d: Buffer) => (out += d.toString()));
    relay.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const big = Buffer.alloc(3 << 20, 0x63);
    relay.stdin.end(Buffer.concat([Buffer.from('request '), big]));
    const code = await new Promise<number | null>((ok) => relay.on('close', ok));
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toBe(`got ${big.length + 8} bytes: request cccccccccccc`);
  });

  it('agent-relay.js exits 1 with the reason on stderr when the port is refused', async () => {
    const gone = await closedPort();
    const relay = spawn(process.execPath, [RELAY, sock, String(gone)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    relay.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((ok) => relay.on('close', ok));
    expect(code).toBe(1);
    expect(err).toBe(`agent-relay: connect 127.0.0.1:${gone}: Connection refused\n`);
  });
});
