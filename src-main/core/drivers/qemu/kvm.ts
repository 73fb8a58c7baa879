/**
 * Whether KVM really works here, not just whether /dev/kvm exists: under
 * nested virtualisation (these test machines) a guest hangs right after its
 * kernel starts. So the only proof is a boot: a kernel with a two-line
 * initramfs that prints a marker and powers off, under `-accel kvm`, with a
 * deadline. The answer is kept per host boot (and QEMU binary) in the temp
 * folder, since the hardware does not change until the host reboots; a
 * workspace falls back to TCG with the reason shown.
 *
 * BENCHTOP_QEMU_ACCEL=tcg|kvm skips the probe.
 */
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Runner } from '../../runner/runner';
import { cpioNewc } from '../../vm/cpio';
import { HOST_BUSYBOX } from '../../vm/initramfs';

export interface AccelChoice {
  accel: 'kvm' | 'tcg';
  /** Why, in words ("KVM works", or what stops it). */
  why: string;
}

const MARKER = 'BENCHTOP-KVM-OK';
const PROBE_TIMEOUT_MS = 15_000;

const PROBE_INIT = `#!/bin/busybox sh
/bin/busybox echo ${MARKER} > /dev/console
/bin/busybox poweroff -f
`;

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function cacheFile(): string {
  return join(tmpdir(), `benchtop-kvm-${process.getuid?.() ?? 'u'}.json`);
}

/** What /dev/kvm allows before any boot: null when a boot should be tried. */
export function kvmDeviceProblem(dev = '/dev/kvm'): string | null {
  if (!existsSync(dev)) return `${dev} is missing (no hardware virtualisation here, or the kvm module is not loaded)`;
  try {
    accessSync(dev, constants.R_OK | constants.W_OK);
  } catch {
    return `no read/write access to ${dev} (add your user to the kvm group)`;
  }
  return null;
}

/** The answer kept from an earlier probe on this host boot, if any. */
export function cachedAccel(qemu: string): AccelChoice | null {
  const forced = process.env.BENCHTOP_QEMU_ACCEL;
  if (forced === 'tcg' || forced === 'kvm') return { accel: forced, why: `BENCHTOP_QEMU_ACCEL=${forced}` };
  const device = kvmDeviceProblem();
  if (device) return { accel: 'tcg', why: device };
  try {
    const c = JSON.parse(readFileSync(cacheFile(), 'utf8')) as AccelChoice & { bootId: string; qemu: string };
    if (c.bootId === bootId() && c.qemu === qemu) return { accel: c.accel, why: c.why };
  } catch {
    // Not probed yet on this boot.
  }
  return null;
}

/** Boots `kernel` once under KVM to see whether a guest gets past its kernel; caches the answer. */
export async function probeAccel(runner: Runner, qemu: string, kernel: string, tscKhz: number): Promise<AccelChoice> {
  const known = cachedAccel(qemu);
  if (known) return known;
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-kvm-probe-'));
  try {
    const initrd = join(dir, 'probe.cpio.gz');
    const consoleLog = join(dir, 'console.log');
    writeFileSync(
      initrd,
      gzipSync(
        cpioNewc([
          { kind: 'dir', path: 'bin' },
          { kind: 'dir', path: 'dev' },
          { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
          { kind: 'file', path: 'bin/busybox', data: readFileSync(HOST_BUSYBOX), mode: 0o755 },
          { kind: 'file', path: 'init', data: Buffer.from(PROBE_INIT), mode: 0o755 },
        ]),
      ),
    );
    const r = await runner.run(
      [qemu, '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot', '-M', 'microvm', '-accel', 'kvm', '-cpu', 'host', '-m', '128', '-kernel', kernel, '-initrd', initrd, '-append', `console=ttyS0 quiet panic=-1 tsc_early_khz=${tscKhz}`, '-serial', `file:${consoleLog}`],
      { timeoutMs: PROBE_TIMEOUT_MS },
    );
    const said = existsSync(consoleLog) ? readFileSync(consoleLog, 'utf8') : '';
    const choice: AccelChoice = said.includes(MARKER)
      ? { accel: 'kvm', why: 'KVM works' }
      : r.timedOut
        ? { accel: 'tcg', why: `/dev/kvm is there but a guest under it never finished booting within ${PROBE_TIMEOUT_MS / 1000} s (nested virtualisation?): using TCG, slower` }
        : { accel: 'tcg', why: `QEMU could not use KVM (${(r.stderr.trim().split('\n').pop() ?? '') || `exit code ${r.exitCode}`}): using TCG, slower` };
    writeFileSync(cacheFile(), `${JSON.stringify({ ...choice, bootId: bootId(), qemu })}\n`);
    return choice;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
