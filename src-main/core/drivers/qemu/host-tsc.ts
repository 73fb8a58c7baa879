/** The host CPU's rate in kHz, for the guest's tsc_early_khz (see argv.ts), from /proc/cpuinfo. */
import { readFileSync } from 'node:fs';

export function tscKhzFromCpuinfo(cpuinfo: string): number | null {
  const m = /^cpu MHz\s*:\s*([\d.]+)/m.exec(cpuinfo);
  return m ? Math.round(Number(m[1]) * 1000) : null;
}

export function hostTscKhz(read: () => string = () => readFileSync('/proc/cpuinfo', 'utf8')): number {
  const khz = tscKhzFromCpuinfo(read());
  if (!khz) throw new Error('/proc/cpuinfo has no "cpu MHz" line: cannot tell the guest its TSC rate');
  return khz;
}
