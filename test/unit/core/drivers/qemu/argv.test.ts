/** The QEMU command line of a microVM, flag by flag (see src-main/core/drivers/qemu/argv.ts). */
import { describe, expect, it } from 'vitest';
import { kernelCmdline, qemuArgv, type QemuArgvOptions } from '../../../../../src-main/core/drivers/qemu/argv';
import { hostTscKhz, tscKhzFromCpuinfo } from '../../../../../src-main/core/drivers/qemu/host-tsc';

const base: QemuArgvOptions = {
  kernel: '/d/kernels/r/vmlinux',
  initrd: '/d/images/x/1/initrd.cpio.gz',
  rootDisk: '/d/ws/1/root.qcow2',
  agentSocket: '/d/ws/1/agent.sock',
  consoleLog: '/d/ws/1/console.log',
  pidFile: '/d/ws/1/qemu.pid',
  qmpSocket: '/d/ws/1/qmp.sock',
  memoryMiB: 256,
  cpus: 2,
  accel: 'tcg',
  machine: 'microvm',
  network: 'none',
  ports: [],
  tscKhz: 2096020,
  marker: 'benchtop-ws-1',
  hostname: 'ws1',
};

/** The value after each occurrence of `flag`. */
const values = (argv: string[], flag: string): string[] => argv.flatMap((a, i) => (a === flag ? [argv[i + 1] as string] : []));

describe('qemuArgv', () => {
  it('builds the proven microvm shape, in order', () => {
    expect(qemuArgv(base)).toEqual([
      'qemu-system-x86_64',
      '-name', 'benchtop-ws-1',
      '-nodefaults',
      '-no-user-config',
      '-display', 'none',
      '-no-reboot',
      '-M', 'microvm',
      '-accel', 'tcg',
      '-m', '256',
      '-smp', '2',
      '-kernel', '/d/kernels/r/vmlinux',
      '-initrd', '/d/images/x/1/initrd.cpio.gz',
      '-append', 'console=ttyS0 quiet loglevel=3 panic=-1 tsc_early_khz=2096020 benchtop.hostname=ws1 benchtop.project=copied benchtop.network=none',
      '-serial', 'file:/d/ws/1/console.log',
      '-pidfile', '/d/ws/1/qemu.pid',
      '-qmp', 'unix:/d/ws/1/qmp.sock,server=on,wait=off',
      '-drive', 'file=/d/ws/1/root.qcow2,format=qcow2,if=none,id=root',
      '-device', 'virtio-blk-device,drive=root',
      '-device', 'virtio-serial-device',
      '-chardev', 'socket,id=agent,path=/d/ws/1/agent.sock,server=on,wait=off',
      '-device', 'virtserialport,chardev=agent,id=agentport,name=benchtop.agent',
    ]);
  });

  it('never asks for a terminal: no -nographic, no stdio serial or monitor', () => {
    const argv = qemuArgv(base);
    expect(argv).not.toContain('-nographic');
    expect(argv.join(' ')).not.toMatch(/stdio|-monitor/);
  });

  it('uses the PCI variants and -virtfs on -M pc', () => {
    const argv = qemuArgv({ ...base, machine: 'pc', project: { hostDir: '/home/me/proj' }, network: 'full' });
    expect(values(argv, '-M')).toEqual(['pc']);
    expect(values(argv, '-device')).toEqual(['virtio-blk-pci,drive=root', 'virtio-serial-pci', 'virtserialport,chardev=agent,id=agentport,name=benchtop.agent', 'virtio-net-pci,netdev=net0']);
    expect(values(argv, '-virtfs')).toEqual(['local,id=project,path=/home/me/proj,mount_tag=workspace,security_model=none']);
    expect(argv).not.toContain('-fsdev');
  });

  it('shares the project over 9p with -fsdev and virtio-9p-device on microvm (no PCI bus for -virtfs)', () => {
    const argv = qemuArgv({ ...base, project: { hostDir: '/home/me/proj' } });
    expect(values(argv, '-fsdev')).toEqual(['local,id=project,path=/home/me/proj,security_model=none']);
    expect(values(argv, '-device')).toContain('virtio-9p-device,fsdev=project,mount_tag=workspace');
    expect(argv).not.toContain('-virtfs');
    expect(values(argv, '-append')[0]).toContain(' benchtop.project=9p');
  });

  it('has no NIC at all with network none and no ports', () => {
    const argv = qemuArgv(base);
    expect(argv).not.toContain('-netdev');
    expect(values(argv, '-device').some((d) => d.startsWith('virtio-net'))).toBe(false);
  });

  it('restricts the user network when only ports are published, forwarding each on 127.0.0.1', () => {
    const argv = qemuArgv({ ...base, ports: [{ hostPort: 18080, guestPort: 80 }, { hostPort: 18443, guestPort: 443 }] });
    expect(values(argv, '-netdev')).toEqual(['user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:18080-:80,hostfwd=tcp:127.0.0.1:18443-:443']);
    expect(values(argv, '-device')).toContain('virtio-net-device,netdev=net0');
  });

  it('leaves the user network open with network full', () => {
    const argv = qemuArgv({ ...base, network: 'full', ports: [{ hostPort: 2222, guestPort: 22 }] });
    expect(values(argv, '-netdev')).toEqual(['user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22']);
    expect(values(argv, '-append')[0]).toContain('benchtop.network=full');
  });

  it('passes the host CPU under KVM', () => {
    const argv = qemuArgv({ ...base, accel: 'kvm' });
    expect(values(argv, '-accel')).toEqual(['kvm']);
    expect(values(argv, '-cpu')).toEqual(['host']);
    expect(qemuArgv(base)).not.toContain('-cpu');
  });

  it('doubles commas inside key=value options, so a path cannot add options', () => {
    const argv = qemuArgv({ ...base, rootDisk: '/d/a,b/root.qcow2', project: { hostDir: '/p,readonly=on' }, agentSocket: '/s,x/agent.sock' });
    expect(values(argv, '-drive')).toEqual(['file=/d/a,,b/root.qcow2,format=qcow2,if=none,id=root']);
    expect(values(argv, '-fsdev')).toEqual(['local,id=project,path=/p,,readonly=on,security_model=none']);
    expect(values(argv, '-chardev')).toEqual(['socket,id=agent,path=/s,,x/agent.sock,server=on,wait=off']);
  });

  it.each([
    [{ kernel: 'vmlinux' }, 'kernel: must be an absolute path'],
    [{ consoleLog: '/a\nb' }, 'consoleLog: must be an absolute path without control characters'],
    [{ memoryMiB: 32 }, 'memoryMiB: must be a whole number of MiB, at least 64'],
    [{ cpus: 1.5 }, 'cpus: must be a whole number'],
    [{ tscKhz: 0 }, 'tscKhz: must be a positive whole number'],
    [{ marker: 'a b' }, 'marker: must be 1-64 of'],
    [{ hostname: 'a b' }, 'hostname: must be a host name'],
    [{ hostname: 'x'.repeat(64) }, 'hostname: must be a host name'],
    [{ ports: [{ hostPort: 0, guestPort: 80 }] }, 'hostPort: must be a port'],
    [{ ports: [{ hostPort: 8080, guestPort: 70000 }] }, 'guestPort: must be a port'],
  ] as Array<[Partial<QemuArgvOptions>, string]>)('refuses %j with one clear error', (over, message) => {
    expect(() => qemuArgv({ ...base, ...over })).toThrow(message);
  });
});

describe('kernelCmdline', () => {
  it('reboots on panic (QEMU exits with -no-reboot) and tells the guest its TSC rate', () => {
    const line = kernelCmdline({ tscKhz: 3000000, hostname: 'h', network: 'none' });
    expect(line.split(' ')).toEqual(expect.arrayContaining(['console=ttyS0', 'panic=-1', 'tsc_early_khz=3000000', 'benchtop.hostname=h']));
    // No share: the project is copied in, into a /workspace stage 2 makes.
    expect(line.split(' ')).toContain('benchtop.project=copied');
  });
});

describe('hostTscKhz', () => {
  it('reads the first "cpu MHz" line in kHz', () => {
    expect(tscKhzFromCpuinfo('processor\t: 0\ncpu MHz\t\t: 2096.020\ncpu MHz\t\t: 1.0\n')).toBe(2096020);
    expect(tscKhzFromCpuinfo('processor\t: 0\n')).toBeNull();
    expect(() => hostTscKhz(() => 'no such line')).toThrow('cpu MHz');
    expect(hostTscKhz()).toBeGreaterThan(100_000);
  });
});
