/**
 * Every body the firecracker driver would send, and its --config-file,
 * validated against Firecracker's own OpenAPI file (pinned v1.16.1, see
 * test/fixtures/firecracker/README.md), with negative cases showing the
 * validator refuses what Firecracker would.
 */
import { describe, expect, it } from 'vitest';
import { AGENT_VSOCK_PORT, apiRequests, bootArgs, firecrackerConfig, GUEST_CID, type FirecrackerVmOptions } from '../../../../../src-main/core/drivers/firecracker/config';
import { swagger, validateDefinition, validateRequest } from '../../../../helpers/firecracker-api';

const vm: FirecrackerVmOptions = {
  kernel: '/home/u/.benchtop/vm/kernels/6.1/vmlinux',
  initrd: '/home/u/.benchtop/vm/images/vm1/1/initrd.cpio',
  rootDisk: '/home/u/.benchtop/workspaces/w1/vm/root.ext4',
  vsockUds: '/home/u/.benchtop/workspaces/w1/vm/guest.sock',
  memoryMiB: 512,
  cpus: 2,
  hostname: 'ws-1',
  network: 'none',
};
const withTap: FirecrackerVmOptions = { ...vm, network: 'full', tapDevice: 'fc0' };

describe('the pinned OpenAPI file', () => {
  it('is Firecracker v1.16.1 with the definitions we build', () => {
    expect(swagger.info.version).toBe('1.16.1');
    for (const d of ['MachineConfiguration', 'BootSource', 'Drive', 'Vsock', 'NetworkInterface', 'FullVmConfiguration', 'InstanceActionInfo']) expect(swagger.definitions[d]).toBeDefined();
  });

  it('refuses bodies Firecracker refuses (the validator is real)', () => {
    expect(validateDefinition('MachineConfiguration', { vcpu_count: 1, mem_size_mib: 128 }).ok).toBe(true);
    // Missing a required field.
    expect(validateDefinition('MachineConfiguration', { vcpu_count: 1 })).toMatchObject({ ok: false, errors: expect.stringContaining('mem_size_mib') });
    expect(validateDefinition('BootSource', { boot_args: 'x' })).toMatchObject({ ok: false, errors: expect.stringContaining('kernel_image_path') });
    expect(validateDefinition('Drive', { drive_id: 'root', path_on_host: '/x' })).toMatchObject({ ok: false, errors: expect.stringContaining('is_root_device') });
    expect(validateDefinition('Vsock', { uds_path: '/x' })).toMatchObject({ ok: false, errors: expect.stringContaining('guest_cid') });
    expect(validateDefinition('NetworkInterface', { iface_id: 'eth0' })).toMatchObject({ ok: false, errors: expect.stringContaining('host_dev_name') });
    // Out of range, wrong type, wrong enum.
    expect(validateDefinition('MachineConfiguration', { vcpu_count: 0, mem_size_mib: 128 }).ok).toBe(false);
    expect(validateDefinition('MachineConfiguration', { vcpu_count: 33, mem_size_mib: 128 }).ok).toBe(false);
    expect(validateDefinition('MachineConfiguration', { vcpu_count: 1, mem_size_mib: '128' }).ok).toBe(false);
    expect(validateDefinition('Vsock', { guest_cid: 2, uds_path: '/x' }).ok).toBe(false);
    expect(validateRequest('PUT', '/actions', { action_type: 'Start' }).ok).toBe(false);
    // A misspelt field: Firecracker's parser denies unknown fields; strict mode does too, the bare YAML does not.
    expect(validateDefinition('MachineConfiguration', { vcpu_count: 1, mem_size_mib: 128, smtt: true }).ok).toBe(false);
    expect(validateDefinition('MachineConfiguration', { vcpu_count: 1, mem_size_mib: 128, smtt: true }, false).ok).toBe(true);
    // A path the API does not have.
    expect(validateRequest('PUT', '/machine', { vcpu_count: 1, mem_size_mib: 128 })).toMatchObject({ ok: false, errors: 'no PUT /machine in firecracker.yaml' });
  });
});

describe('the --config-file', () => {
  it('is a valid FullVmConfiguration, without network', () => {
    const c = firecrackerConfig(vm);
    expect(validateDefinition('FullVmConfiguration', c)).toEqual({ ok: true, errors: '' });
    expect(c).toEqual({
      'boot-source': { kernel_image_path: vm.kernel, initrd_path: vm.initrd, boot_args: bootArgs(vm) },
      drives: [{ drive_id: 'root', path_on_host: vm.rootDisk, is_root_device: true, is_read_only: false }],
      'machine-config': { vcpu_count: 2, mem_size_mib: 512, smt: false },
      vsock: { guest_cid: GUEST_CID, uds_path: vm.vsockUds },
      'network-interfaces': [],
    });
  });

  it('has a tap for full network, and is still valid', () => {
    const c = firecrackerConfig(withTap);
    expect(validateDefinition('FullVmConfiguration', c)).toEqual({ ok: true, errors: '' });
    expect(c['network-interfaces']).toEqual([{ iface_id: 'eth0', host_dev_name: 'fc0' }]);
  });

  it('fails validation when a required part is taken out (the check covers the nested bodies)', () => {
    const c = firecrackerConfig(vm) as unknown as Record<string, Record<string, unknown>>;
    delete c['machine-config']!.mem_size_mib;
    expect(validateDefinition('FullVmConfiguration', c)).toMatchObject({ ok: false, errors: expect.stringContaining('mem_size_mib') });
  });

  it('tells stage 2 what it needs on the kernel command line', () => {
    expect(bootArgs(vm).split(' ')).toEqual([
      'console=ttyS0',
      'quiet',
      'loglevel=3',
      'reboot=k',
      'panic=-1',
      'pci=off',
      'benchtop.hostname=ws-1',
      'benchtop.project=copied',
      'benchtop.network=none',
      `benchtop.agent=vsock:${AGENT_VSOCK_PORT}`,
    ]);
  });

  it('refuses bad input with one line naming the field', () => {
    expect(() => firecrackerConfig({ ...vm, kernel: 'vmlinux' })).toThrow(/^kernel: must be an absolute path/);
    expect(() => firecrackerConfig({ ...vm, rootDisk: '/a\nb' })).toThrow(/^rootDisk: /);
    expect(() => firecrackerConfig({ ...vm, cpus: 33 })).toThrow(/^cpus: Firecracker takes 1 to 32/);
    expect(() => firecrackerConfig({ ...vm, cpus: 1.5 })).toThrow(/^cpus: /);
    expect(() => firecrackerConfig({ ...vm, memoryMiB: 32 })).toThrow(/^memoryMiB: /);
    expect(() => firecrackerConfig({ ...vm, hostname: 'a b' })).toThrow(/^hostname: /);
    expect(() => firecrackerConfig({ ...vm, network: 'full' })).toThrow(/^tapDevice: full network needs a tap/);
    expect(() => firecrackerConfig({ ...withTap, tapDevice: 'a-very-long-tap-name' })).toThrow(/^tapDevice: /);
  });
});

describe('the API requests', () => {
  it('configure each resource at its documented path, then InstanceStart; every body valid', () => {
    const reqs = apiRequests(withTap);
    expect(reqs.map((r) => `${r.method} ${r.path}`)).toEqual(['PUT /machine-config', 'PUT /boot-source', 'PUT /drives/root', 'PUT /vsock', 'PUT /network-interfaces/eth0', 'PUT /actions']);
    for (const r of reqs) expect(validateRequest(r.method, r.path, r.body), `${r.method} ${r.path}`).toMatchObject({ ok: true });
    expect(reqs.at(-1)?.body).toEqual({ action_type: 'InstanceStart' });
  });

  it('name each drive and interface in the path as in the body (Firecracker requires they match)', () => {
    for (const r of apiRequests(withTap)) {
      const { params } = validateRequest(r.method, r.path, r.body);
      const body = r.body as Record<string, unknown>;
      if (params.drive_id) expect(body.drive_id).toBe(params.drive_id);
      if (params.iface_id) expect(body.iface_id).toBe(params.iface_id);
    }
  });

  it('have no network interface without full network', () => {
    expect(apiRequests(vm).some((r) => r.path.startsWith('/network-interfaces'))).toBe(false);
  });
});
