/** What detect() says for each host (pure verdict), and what it says on this one. */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hostFacts, verdict, type FirecrackerHostFacts } from '../../../../../src-main/core/drivers/firecracker/detect';
import { createFirecrackerDriver } from '../../../../../src-main/core/drivers/firecracker/driver';
import type { DriverContext } from '../../../../../src-main/core/drivers/types';

const ready: FirecrackerHostFacts = { firecracker: '/usr/local/bin/firecracker', jailer: null, kvm: 'usable', vhostVsock: true, nested: false, root: false };

describe('verdict', () => {
  it('is available with firecracker and a usable /dev/kvm', () => {
    const v = verdict(ready);
    expect(v.available).toBe(true);
    expect(v.useJailer).toBe(false);
    expect(v.hint).toContain('no jailer: Firecracker runs unjailed');
    expect(v.hint).toContain('tap device made by root (CAP_NET_ADMIN)');
  });

  it('names each missing piece and how to fix it, in one hint', () => {
    const v = verdict({ ...ready, firecracker: null, kvm: 'absent' });
    expect(v.available).toBe(false);
    expect(v.hint).toMatch(/^Firecracker cannot run here: firecracker is not on PATH \(download a release from https:\/\/github.com\/firecracker-microvm\/firecracker\/releases/);
    expect(v.hint).toContain('; /dev/kvm does not exist (enable virtualization');
  });

  it('tells an unopenable /dev/kvm from a missing one', () => {
    expect(verdict({ ...ready, kvm: 'EACCES' })).toMatchObject({ available: false, hint: expect.stringContaining('/dev/kvm cannot be opened read-write by this user (add yourself to the kvm group') });
    expect(verdict({ ...ready, kvm: 'ENXIO' })).toMatchObject({ available: false, hint: expect.stringContaining('/dev/kvm cannot be opened read-write (ENXIO)') });
  });

  it('warns about nested KVM, and says vhost-vsock is not needed', () => {
    const v = verdict({ ...ready, nested: true, vhostVsock: false });
    expect(v.available).toBe(true);
    expect(v.hint).toContain('nested KVM may hang guests');
    expect(v.hint).toContain('no /dev/vhost-vsock (Firecracker does not need it');
  });

  it('uses the jailer only as root', () => {
    expect(verdict({ ...ready, jailer: '/usr/local/bin/jailer', root: true })).toMatchObject({ useJailer: true, hint: expect.stringContaining('VMs run under the jailer') });
    expect(verdict({ ...ready, jailer: '/usr/local/bin/jailer', root: false })).toMatchObject({ useJailer: false, hint: expect.stringContaining('jailer found but not used: it needs root') });
  });
});

const facts = hostFacts();
const canRun = facts.firecracker !== null && facts.kvm === 'usable';

describe('on this host', () => {
  // This project's machines have neither (Debian packages no Firecracker, and the containers no /dev/kvm).
  it.skipIf(canRun)('has no usable Firecracker, and detect() says why', async () => {
    expect(facts.vhostVsock).toBe(existsSync('/dev/vhost-vsock'));
    const ctx = { runner: { run: () => Promise.reject(new Error('not called')) }, host: {}, workspaceDir: () => '/nonexistent', home: '/nonexistent' } as unknown as DriverContext;
    const info = await createFirecrackerDriver(ctx).detect();
    expect(info).toMatchObject({ id: 'firecracker', available: false, version: null });
    expect(info.hint).toMatch(/^Firecracker cannot run here: /);
    if (!facts.firecracker) expect(info.hint).toContain('firecracker is not on PATH');
    if (facts.kvm !== 'usable') expect(info.hint).toContain('/dev/kvm');
  });
});
