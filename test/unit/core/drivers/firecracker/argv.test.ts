/** The firecracker and jailer command lines, flag by flag (docs/jailer.md of Firecracker), and the root disk copy. */
import { describe, expect, it } from 'vitest';
import { firecrackerArgv, jailerArgv, jailLayout, vmIdFor } from '../../../../../src-main/core/drivers/firecracker/argv';
import { firecrackerConfig } from '../../../../../src-main/core/drivers/firecracker/config';
import { rootDiskCopyArgv } from '../../../../../src-main/core/drivers/firecracker/driver';
import { validateDefinition } from '../../../../helpers/firecracker-api';

const fc = { firecrackerBinary: '/usr/local/bin/firecracker', vmId: 'benchtop-w1', apiSocket: '/d/vm/firecracker.sock', configFile: '/d/vm/firecracker.json' };

describe('firecrackerArgv', () => {
  it('starts Firecracker from its config file, with its API socket and the VM id that finds it again', () => {
    expect(firecrackerArgv(fc)).toEqual(['/usr/local/bin/firecracker', '--id', 'benchtop-w1', '--api-sock', '/d/vm/firecracker.sock', '--config-file', '/d/vm/firecracker.json']);
  });

  it('refuses a bad id or a relative path with one line naming the field', () => {
    expect(() => firecrackerArgv({ ...fc, vmId: 'a_b' })).toThrow(/^vmId: must be 1-64 letters, digits or hyphens/);
    expect(() => firecrackerArgv({ ...fc, vmId: 'x'.repeat(65) })).toThrow(/^vmId: /);
    expect(() => firecrackerArgv({ ...fc, configFile: 'firecracker.json' })).toThrow(/^configFile: must be an absolute path/);
    expect(() => firecrackerArgv({ ...fc, apiSocket: '/a\u0000b' })).toThrow(/^apiSocket: /);
  });
});

describe('vmIdFor', () => {
  it('makes any workspace id a valid VM id', () => {
    expect(vmIdFor('w1')).toBe('benchtop-w1');
    expect(vmIdFor('01J_x.y/z')).toBe('benchtop-01J-x-y-z');
    expect(vmIdFor('u'.repeat(100))).toHaveLength(64);
    expect(() => firecrackerArgv({ ...fc, vmId: vmIdFor('a_b.c') })).not.toThrow();
  });
});

describe('jailerArgv', () => {
  const jail = { jailerBinary: '/usr/local/bin/jailer', uid: 1000, gid: 1000, chrootBaseDir: '/srv/jailer' };
  it('gives the jailer its id, exec file, uid/gid and chroot base, and Firecracker its own flags after --', () => {
    const argv = jailerArgv({ ...fc, apiSocket: '/api.sock', configFile: '/config.json' }, jail);
    expect(argv).toEqual([
      '/usr/local/bin/jailer',
      '--id', 'benchtop-w1',
      '--exec-file', '/usr/local/bin/firecracker',
      '--uid', '1000',
      '--gid', '1000',
      '--chroot-base-dir', '/srv/jailer',
      '--',
      '--api-sock', '/api.sock',
      '--config-file', '/config.json',
    ]);
    // The jailer passes --id to Firecracker itself: after -- it must not come again.
    expect(argv.slice(argv.indexOf('--') + 1)).not.toContain('--id');
  });

  it('refuses a negative uid and a relative chroot base', () => {
    expect(() => jailerArgv(fc, { ...jail, uid: -1 })).toThrow(/^uid: /);
    expect(() => jailerArgv(fc, { ...jail, chrootBaseDir: 'srv' })).toThrow(/^chrootBaseDir: /);
  });

  it('lays the jail out where the jailer builds it (<base>/<exec name>/<id>/root), with a valid config inside', () => {
    const l = jailLayout('/srv/jailer', '/usr/local/bin/firecracker', 'benchtop-w1');
    expect(l.root).toBe('/srv/jailer/firecracker/benchtop-w1/root');
    expect(l.onHost.vsockUds).toBe('/srv/jailer/firecracker/benchtop-w1/root/v.sock');
    expect(l.onHost.rootDisk).toBe('/srv/jailer/firecracker/benchtop-w1/root/root.ext4');
    const c = firecrackerConfig({ ...l.inside, memoryMiB: 256, cpus: 1, hostname: 'h', network: 'none' });
    expect(c.drives[0]?.path_on_host).toBe('/root.ext4');
    expect(validateDefinition('FullVmConfiguration', c).ok).toBe(true);
  });
});

describe('rootDiskCopyArgv', () => {
  it('copies the raw ext4 disk as a reflink where it can, sparse otherwise', () => {
    expect(rootDiskCopyArgv('/img/root.ext4', '/ws/vm/root.ext4.tmp')).toEqual(['cp', '--reflink=auto', '--sparse=always', '--', '/img/root.ext4', '/ws/vm/root.ext4.tmp']);
  });
});
