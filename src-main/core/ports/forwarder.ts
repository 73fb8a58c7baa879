/**
 * One published port: a detached process that listens on 127.0.0.1:HOSTPORT
 * and carries each connection into the sandbox through the driver's relay
 * (a host process whose stdin/stdout are the connection: `nsenter … node -e
 * RELAY PORT`, or `podman exec -i … nc`).
 *
 * Why a process of its own, one per port, rather than a listener in the app:
 * a workspace outlives whoever started it (the CLI exits at once, the app may
 * close, and the container keeps running), so its ports must too; the same
 * process serves the CLI, `benchtop serve` and the desktop app, which then all
 * see the same ports. One per port means adding or removing one never
 * disturbs the connections of another, and a host port in use is reported by
 * the very process that tried it (its first line), with no control protocol.
 * It ends when told to (SIGTERM), when its state file is removed or taken
 * over, or when the sandbox's process (watchPid) is gone.
 *
 *   node dist/forwarder.js SPEC_JSON      (see ForwarderSpec)
 * Prints one JSON line on stdout: {"hostPort":N} once listening, or {"error","code"}.
 */
import { rmSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer, type Socket } from 'node:net';
import { openRelay } from './open-relay';
import { isAlive, processStartTime } from '../watchdog/proc';
import type { ForwarderSpec, ForwarderState } from './state';

const WATCH_MS = 1000;

function main(spec: ForwarderSpec): void {
  const server = createServer({ allowHalfOpen: true }, (conn) => carry(conn, spec.relay));
  const myStart = processStartTime(process.pid) ?? 0;
  const ours = (): boolean => {
    try {
      const s = JSON.parse(readFileSync(spec.stateFile, 'utf8')) as ForwarderState;
      return s.pid === process.pid;
    } catch {
      return false;
    }
  };
  const quit = (code: number) => {
    if (ours()) rmSync(spec.stateFile, { force: true });
    server.close();
    process.exit(code);
  };
  server.on('error', (err: NodeJS.ErrnoException) => {
    process.stdout.write(`${JSON.stringify({ error: err.message, code: err.code ?? null })}\n`);
    process.exit(1);
  });
  server.listen(spec.hostPort, '127.0.0.1', () => {
    const address = server.address();
    const hostPort = typeof address === 'object' && address ? address.port : spec.hostPort;
    const state: ForwarderState = { pid: process.pid, start: myStart, hostPort, port: spec.port };
    mkdirSync(dirname(spec.stateFile), { recursive: true });
    writeFileSync(spec.stateFile, JSON.stringify(state));
    process.stdout.write(`${JSON.stringify({ hostPort })}\n`);
    setInterval(() => {
      const sandboxGone = spec.watchPid !== undefined && spec.watchStart !== undefined && !isAlive(spec.watchPid, spec.watchStart);
      if (sandboxGone || !ours()) quit(0);
    }, WATCH_MS).unref();
  });
  process.on('SIGTERM', () => quit(0));
  process.on('SIGINT', () => quit(0));
  // The one who started us stops reading after the first line.
  process.stdout.on('error', () => undefined);
}

/** Pipes one connection through a fresh relay; each ends the other. */
function carry(conn: Socket, relayArgv: string[]): void {
  const relay = openRelay(relayArgv);
  conn.on('error', () => relay.kill());
  relay.stdin.on('error', () => conn.destroy());
  relay.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  conn.pipe(relay.stdin);
  relay.stdout.pipe(conn);
  relay.onClose(() => conn.end());
  conn.on('close', () => relay.kill());
}

const raw = process.argv[2];
if (!raw) {
  process.stderr.write('usage: forwarder.js SPEC_JSON\n');
  process.exit(2);
}
main(JSON.parse(raw) as ForwarderSpec);
