/**
 * The relay: a tiny program run inside the sandbox's network namespace (by
 * `nsenter -n`) for each connection, which connects to 127.0.0.1:PORT there
 * and pipes its stdin and stdout through. It is Node itself (`process.execPath`;
 * under Electron with ELECTRON_RUN_AS_NODE=1, which the forwarder inherits),
 * so nothing needs to be installed on the host or in the image. Pure: argv only.
 */

/**
 * Each direction is closed on its own (an HTTP client may end its request and
 * still read the answer); a refused connection exits 1 with the reason, which
 * the forwarder logs.
 */
export const RELAY_SCRIPT = [
  "const net = require('net');",
  "const s = net.connect(Number(process.argv[1]), '127.0.0.1');",
  's.setNoDelay(true);',
  'process.stdin.pipe(s);',
  's.pipe(process.stdout);',
  "s.on('error', (e) => { process.stderr.write('relay: ' + e.message + '\\n'); process.exit(1); });",
  "s.on('close', () => process.exit(0));",
].join('\n');

/** The relay's own argv: `node -e SCRIPT PORT` (the port is its only argument). */
export function buildRelayArgv(node: string, port: number): string[] {
  return [node, '-e', RELAY_SCRIPT, String(port)];
}
