/**
 * Reaching a port inside a Firecracker guest from the host (docs/vsock.md of
 * Firecracker): connect to the vsock device's Unix socket, send
 * `CONNECT <port>\n`, and read `OK <host port>\n`; from then on the socket is
 * the guest's vsock connection. Firecracker closes the socket instead when
 * nothing listens on the port yet (a guest still booting), so callers retry.
 */
import { connect, type Socket } from 'node:net';
import { AgentConnection } from '../../agent/client';

/** Firecracker's acknowledgement line is short: more than this before a newline is not Firecracker. */
const MAX_ACK_BYTES = 64;

/**
 * Asks Firecracker's muxer on an open socket for `port`; resolves with the
 * same socket once it said OK, PAUSED, with anything the guest sent behind
 * the OK put back: attach the reader, then call `resume()` (a paused stream
 * is not restarted by a new 'data' listener, and a flowing one with no
 * listener would drop those bytes).
 */
export function vsockHandshake(socket: Socket, port: number, timeoutMs = 5000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (!Number.isInteger(port) || port < 0 || port > 0xffffffff) {
      reject(new Error(`vsock port must be a whole number 0-4294967295, got ${port}`));
      return;
    }
    let got = Buffer.alloc(0);
    const fail = (why: string): void => {
      cleanup();
      socket.destroy();
      reject(new Error(`vsock CONNECT ${port}: ${why}`));
    };
    const timer = setTimeout(() => fail(`no answer within ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
    const onData = (chunk: Buffer): void => {
      got = Buffer.concat([got, chunk]);
      const nl = got.indexOf(0x0a);
      if (nl < 0) {
        if (got.length > MAX_ACK_BYTES) fail(`not a Firecracker vsock socket (it said ${JSON.stringify(got.toString('latin1').slice(0, 40))})`);
        return;
      }
      const line = got.subarray(0, nl).toString('latin1');
      if (!/^OK \d+$/.test(line)) return fail(`refused: ${JSON.stringify(line.slice(0, 80))}`);
      cleanup();
      socket.pause();
      // What the guest sent right behind the OK (its agent's hello) belongs to the next reader.
      const rest = got.subarray(nl + 1);
      if (rest.length) socket.unshift(rest);
      resolve(socket);
    };
    // Firecracker's answer when nothing listens on the port: it closes the connection.
    const onClose = (): void => fail('closed without an answer (nothing listens on that port yet?)');
    const onError = (e: Error): void => fail(e.message);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
    socket.write(`CONNECT ${port}\n`);
  });
}

/** Connects to Firecracker's vsock Unix socket and through it to `port` in the guest. */
export async function connectVsock(udsPath: string, port: number, timeoutMs = 5000): Promise<Socket> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(udsPath);
    const onError = (e: Error): void => reject(new Error(`cannot reach ${udsPath}: ${e.message}`));
    s.once('error', onError);
    s.once('connect', () => {
      s.off('error', onError);
      resolve(s);
    });
  });
  return vsockHandshake(socket, port, timeoutMs);
}

/** The guest agent over vsock: the handshake, then the agent's own hello (AgentConnection). */
export async function connectAgentOverVsock(udsPath: string, port: number, timeoutMs = 10_000): Promise<AgentConnection> {
  const socket = await connectVsock(udsPath, port, timeoutMs);
  // `over` attaches its reader at once (in its promise's executor): only then may the bytes flow.
  const agent = AgentConnection.over(socket, timeoutMs);
  socket.resume();
  return agent;
}
