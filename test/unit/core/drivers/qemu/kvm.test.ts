/** Telling a usable KVM from a present one: what /dev/kvm allows before any boot, and the override. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedAccel, kvmDeviceProblem } from '../../../../../src-main/core/drivers/qemu/kvm';

describe('KVM before a boot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-kvm-test-'));
  afterEach(() => {
    delete process.env.BENCHTOP_QEMU_ACCEL;
  });

  it('names a missing device, and one this user cannot open', () => {
    expect(kvmDeviceProblem(join(dir, 'nope'))).toMatch(/nope is missing/);
    const dev = join(dir, 'kvm');
    writeFileSync(dev, '');
    chmodSync(dev, 0o000);
    // root reads anything: the permission case can only be seen as another user.
    if (process.getuid?.() !== 0) expect(kvmDeviceProblem(dev)).toMatch(/no read\/write access/);
    chmodSync(dev, 0o600);
    expect(kvmDeviceProblem(dev)).toBeNull();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes BENCHTOP_QEMU_ACCEL over any probe', () => {
    process.env.BENCHTOP_QEMU_ACCEL = 'kvm';
    expect(cachedAccel('/usr/bin/qemu-system-x86_64')).toEqual({ accel: 'kvm', why: 'BENCHTOP_QEMU_ACCEL=kvm' });
    process.env.BENCHTOP_QEMU_ACCEL = 'tcg';
    expect(cachedAccel('/usr/bin/qemu-system-x86_64')?.accel).toBe('tcg');
  });
});
