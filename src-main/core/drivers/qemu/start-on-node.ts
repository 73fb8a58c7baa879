/**
 * Started by a SLURM allocation's script on its node: starts the VM's
 * supervisor from the launch file written at submission and exits 0 once the
 * guest agent answered (1, with the reason on stderr, when it did not). The
 * supervisor stays, detached, for as long as the VM lives.
 *
 *   node dist/vm-start.js VM_FOLDER
 */
import { readFileSync } from 'node:fs';
import { vmFiles, type VmLaunch } from '../../vm/files';
import { startSupervisor } from '../shared/vm-process';

const dir = process.argv[2];
try {
  if (!dir) throw new Error('usage: vm-start VM_FOLDER');
  const files = vmFiles(dir);
  const launch = JSON.parse(readFileSync(files.launch, 'utf8')) as VmLaunch;
  const ready = await startSupervisor(files, launch.bootTimeoutMs + 10_000);
  process.stdout.write(`benchtop: VM up (kernel ${ready.kernel}, ${ready.bootMs} ms)\n`);
  process.exit(0);
} catch (e) {
  process.stderr.write(`benchtop: ${(e as Error).message}\n`);
  process.exit(1);
}
