/**
 * What this QEMU build can do, asked of it once: the microvm machine (else
 * the older `pc`, about a second slower to boot) and a 9p device to share the
 * project live (else the project is copied in through the agent at the first
 * start; BENCHTOP_QEMU_PROJECT=copy asks for that too, e.g. for a project of
 * many small files, which 9p reads slowly).
 */
import type { Runner } from '../../runner/runner';

export interface QemuCaps {
  machine: 'microvm' | 'pc';
  /** Share the project live over 9p (true) or copy it in (false). */
  share9p: boolean;
  /** What differs from the best case, in words, for `benchtop backends`. */
  notes: string[];
}

export const BEST_CAPS: QemuCaps = { machine: 'microvm', share9p: true, notes: [] };

export function capsFrom(machines: string, devices: string, env: NodeJS.ProcessEnv = process.env): QemuCaps {
  const microvm = /^microvm\b/m.test(machines);
  const machine = microvm ? 'microvm' : 'pc';
  const has9p = devices.includes(microvm ? '"virtio-9p-device"' : '"virtio-9p-pci"');
  const copy = env.BENCHTOP_QEMU_PROJECT === 'copy';
  const notes: string[] = [];
  if (!microvm) notes.push('no microvm machine in this QEMU: -M pc (slower to boot)');
  if (!has9p) notes.push('no 9p in this QEMU: the project is copied in at the first start (copy back with benchtop cp)');
  else if (copy) notes.push('BENCHTOP_QEMU_PROJECT=copy: the project is copied in at the first start');
  return { machine, share9p: has9p && !copy, notes };
}

export async function qemuCaps(runner: Runner, qemu: string): Promise<QemuCaps> {
  const [m, d] = await Promise.all([runner.run([qemu, '-M', 'help'], { timeoutMs: 10000 }), runner.run([qemu, '-device', 'help'], { timeoutMs: 10000 })]);
  return capsFrom(m.stdout, d.stdout);
}
