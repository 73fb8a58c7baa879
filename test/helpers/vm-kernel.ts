/** The kernel test/fixtures/build-vm.sh cached for VM tests, as `benchtop image build` flags. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VM_FIXTURE } from './fixtures';

export function vmKernel(): { release: string; args: string[] } {
  const k = JSON.parse(readFileSync(join(VM_FIXTURE, 'kernel.json'), 'utf8')) as { release: string; vmlinux: string; modules: string };
  return { release: k.release, args: ['--kernel', join(VM_FIXTURE, k.vmlinux), '--modules', join(VM_FIXTURE, k.modules)] };
}
