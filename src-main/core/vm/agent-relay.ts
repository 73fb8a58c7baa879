/**
 * The relay of a VM's published port: one run per connection (the forwarder,
 * core/ports/forwarder.ts, starts it with the connection as its stdin and
 * stdout). It asks the guest agent, through the VM supervisor's socket, to
 * connect to 127.0.0.1:PORT inside the guest and pipes the bytes both ways;
 * the guest needs no network device for it (network none stays none).
 *
 *   node dist/agent-relay.js AGENT_SOCKET PORT
 *
 * Each direction is closed on its own: the end of stdin half-closes the
 * guest's socket (an HTTP client may end its request and still read the
 * answer); the guest's EOF ends this process. A refused connection exits 1
 * with the agent's reason on stderr, which the forwarder logs.
 */
import { AgentConnection } from '../agent/client';
import type { SandboxProcess } from '../process/types';

function fail(why: string): never {
  process.stderr.write(`agent-relay: ${why}\n`);
  process.exit(1);
}

async function main(socketPath: string, port: number): Promise<void> {
  let conn: AgentConnection;
  try {
    conn = await AgentConnection.connect(socketPath);
  } catch (e) {
    fail((e as Error).message);
  }
  // Output may come before connectPort's promise settles (in the same chunk as
  // STARTED): a full stdout pauses the handle as soon as there is one.
  const flow: { proc?: SandboxProcess; full: boolean } = { full: false };
  const sink = (_stream: 'stdout' | 'stderr', data: Buffer): void => {
    if (process.stdout.write(data) || flow.full) return;
    flow.full = true;
    flow.proc?.pause();
    process.stdout.once('drain', () => {
      flow.full = false;
      flow.proc?.resume();
    });
  };
  const handle = await conn.connectPort(port, sink);
  flow.proc = handle;
  if (flow.full) handle.pause();

  // Whoever reads us went away: nothing more to carry.
  process.stdout.on('error', () => {
    handle.kill();
    process.exit(0);
  });
  // Stdin is taken only as fast as the agent's credit lets it through.
  process.stdin.on('data', (chunk: Buffer) => {
    process.stdin.pause();
    void handle.write(chunk).then(() => process.stdin.resume());
  });
  process.stdin.on('end', () => handle.end());
  process.stdin.on('error', () => handle.end());

  const exit = await handle.exited;
  if (exit.spawnError) fail(exit.spawnError);
  conn.close();
  // Everything written reaches the reader before we go.
  process.stdout.write('', () => process.exit(0));
}

const [socketPath, portText] = process.argv.slice(2);
const port = Number(portText);
if (!socketPath || !Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('usage: agent-relay.js AGENT_SOCKET PORT\n');
  process.exit(2);
}
void main(socketPath, port);
