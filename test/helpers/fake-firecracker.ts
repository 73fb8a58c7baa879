/**
 * Stands in for the Firecracker process under the real VM supervisor, where
 * Firecracker cannot run (no usable /dev/kvm): like Firecracker it creates
 * the vsock Unix socket (test/helpers/firecracker-muxer.ts), writes the
 * guest's console to its stdout, and lives until it is killed; the "guest"
 * behind port PORT is the real agent in --stdio mode.
 *
 *   node --import tsx fake-firecracker.ts UDS_PATH PORT AGENT_BINARY
 */
import { startMuxer } from './firecracker-muxer';

const [uds, port, agent] = process.argv.slice(2);
if (!uds || !port || !agent) {
  process.stderr.write('usage: fake-firecracker UDS_PATH PORT AGENT_BINARY\n');
  process.exit(2);
}
process.stdout.write('fake firecracker: guest console line\n');
const muxer = await startMuxer(uds, { [Number(port)]: [agent, '--stdio'] });
process.on('SIGTERM', () => void muxer.close().then(() => process.exit(0)));
