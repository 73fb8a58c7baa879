/** Starts the real `benchtop serve` in a child process and connects a typed client over WebSocket. */
import { execa, type ResultPromise } from 'execa';
import WebSocket from 'ws';
import { createClient, type BenchtopClient } from '../../src-preload/client';
import { createWebSocketTransport, type WebSocketLike } from '../../src-preload/transports/websocket';
import { CLI } from './fixtures';

export interface ServeProcess {
  url: string;
  token: string;
  port: number;
  child: ResultPromise;
  connect(opts?: { token?: string; origin?: string }): Promise<{ client: BenchtopClient; ws: WebSocket }>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `benchtop serve --port 0 ARGS…` and waits for the URL it prints. */
export async function startServe(home: string, args: string[] = []): Promise<ServeProcess> {
  const child = execa('node', [CLI, 'serve', '--port', '0', ...args], { env: { BENCHTOP_HOME: home }, reject: false, buffer: false });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL: ${out}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/\S+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    void child.then(() => reject(new Error(`serve exited: ${out}`)));
  });
  const u = new URL(url);
  const token = u.searchParams.get('token') ?? '';
  const port = Number(u.port);
  return {
    url,
    token,
    port,
    child,
    async connect(opts = {}) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/rpc?token=${opts.token ?? token}`, opts.origin ? { origin: opts.origin } : {});
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
        ws.once('error', reject);
      });
      return { client: createClient(createWebSocketTransport(ws as unknown as WebSocketLike)), ws };
    },
    async stop(signal = 'SIGTERM') {
      child.kill(signal);
      await child;
    },
  };
}
