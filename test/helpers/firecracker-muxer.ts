/**
 * A stand-in for the host end of Firecracker's vsock device (its docs/vsock.md):
 * a Unix socket server that reads `CONNECT <port>\n` and, when something
 * "listens" on that port in the guest, answers `OK <host port>\n` and joins the
 * connection to it; otherwise it closes the connection, as Firecracker does.
 * The guest side here is the real agent (`benchtop-agent --stdio`), one per
 * connection, as the agent in a guest accepts one connection at a time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';

export interface Muxer {
  path: string;
  /** Every CONNECT line received, in order. */
  requests: string[];
  /** How many times the OK line and the guest's first bytes went out in one write. */
  joinedWrites: number;
  close(): Promise<void>;
}

/** `guests` maps a port to the argv of what listens on it; `answer` overrides the reply (a broken muxer). */
export function startMuxer(path: string, guests: Record<number, string[]>, answer?: (line: string, sock: Socket) => void): Promise<Muxer> {
  const children = new Set<ChildProcess>();
  const sockets = new Set<Socket>();
  const m: Muxer = {
    path,
    requests: [],
    joinedWrites: 0,
    close: () =>
      new Promise((ok) => {
        for (const c of children) c.kill('SIGKILL');
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      const nl = buf.indexOf(0x0a);
      if (nl < 0) return;
      sock.off('data', onData);
      const line = buf.subarray(0, nl).toString();
      m.requests.push(line);
      if (answer) return answer(line, sock);
      const port = Number(/^CONNECT (\d+)$/.exec(line)?.[1]);
      const argv = guests[port];
      if (!argv) return void sock.destroy();
      const guest = spawn(argv[0] as string, argv.slice(1), { stdio: ['pipe', 'pipe', 'ignore'] });
      children.add(guest);
      guest.on('exit', () => {
        children.delete(guest);
        sock.end();
      });
      sock.on('close', () => guest.kill('SIGKILL'));
      // The guest's first bytes (its hello) go out in the same write as the OK, as they can from Firecracker.
      guest.stdout!.once('data', (first: Buffer) => {
        m.joinedWrites++;
        sock.write(Buffer.concat([Buffer.from('OK 1073741824\n'), first]));
        guest.stdout!.pipe(sock);
        const rest = buf.subarray(nl + 1);
        if (rest.length) guest.stdin!.write(rest);
        sock.pipe(guest.stdin!);
      });
    };
    sock.on('data', onData);
  });
  rmSync(path, { force: true });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(path, () => ok(m));
  });
}
