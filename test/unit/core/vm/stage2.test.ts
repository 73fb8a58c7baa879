/**
 * Stage 2's reading of the kernel command line, run for real under sh with
 * what would touch the machine (mount, mkdir, hostname, ip) stubbed out as
 * shell functions, /proc/cmdline a file, and the agent a script that writes
 * down how it was started: which transport the agent gets (QEMU's
 * virtio-serial port, or Firecracker's vsock port from benchtop.agent=),
 * and /workspace made for a copied project.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STAGE2_INIT } from '../../../../src-main/core/vm/stage2';

const dir = mkdtempSync(join(tmpdir(), 'stage2-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What stage 2 did with this command line: the stubs' log, then the agent's argv. */
function boot(cmdline: string): string[] {
  const log = join(dir, 'log');
  writeFileSync(log, '');
  writeFileSync(join(dir, 'cmdline'), `${cmdline}\n`);
  writeFileSync(join(dir, 'agent'), `#!/bin/sh\necho "agent $*" >> ${log}\n`, { mode: 0o755 });
  const stubs = `mount() { :; }\nln() { :; }\nip() { :; }\nmkdir() { echo "mkdir $*" >> ${log}; }\nhostname() { echo "hostname $1" >> ${log}; }\n`;
  const [shebang, ...rest] = STAGE2_INIT.split('\n');
  const script = [shebang, stubs, ...rest].join('\n').replaceAll('/proc/cmdline', join(dir, 'cmdline')).replaceAll('/benchtop/agent', join(dir, 'agent'));
  writeFileSync(join(dir, 'init'), script);
  execFileSync('sh', [join(dir, 'init')], { stdio: 'ignore' });
  return readFileSync(log, 'utf8').trim().split('\n').filter((l) => !l.startsWith('mkdir -p /dev/'));
}

describe('stage 2', () => {
  it('under QEMU: the agent on the virtio-serial port, the project over 9p', () => {
    expect(boot('console=ttyS0 benchtop.hostname=q1 benchtop.project=9p benchtop.network=none')).toEqual(['hostname q1', 'mkdir -p /workspace', 'agent --port benchtop.agent --init']);
  });

  it('under Firecracker: the agent on the vsock port the line names, /workspace made for the copy', () => {
    expect(boot('console=ttyS0 reboot=k benchtop.hostname=f1 benchtop.project=copied benchtop.network=none benchtop.agent=vsock:1024')).toEqual(['hostname f1', 'mkdir -p /workspace', 'agent --vsock 1024 --init']);
  });
});
