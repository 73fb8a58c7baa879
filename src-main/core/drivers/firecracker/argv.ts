/**
 * The command lines that start a Benchtop microVM under Firecracker, as pure
 * functions tested flag by flag: `firecracker` itself, configured and started
 * from a `--config-file` (the API socket stays open for later requests), or
 * the same behind the `jailer` (docs/jailer.md), which chroots, drops to a
 * uid/gid, and passes everything after `--` on to Firecracker. Under the
 * jailer every path Firecracker sees is inside its chroot: `jailLayout`
 * says where those are on the host.
 */
import { join } from 'node:path';
import { BenchtopError } from '../../../../src-preload/contract';

/** A Firecracker/jailer VM id: letters, digits and hyphens, at most 64 (the jailer's rule, and in the process's argv). */
const VM_ID_RE = /^[A-Za-z0-9-]{1,64}$/;

export interface FirecrackerArgvOptions {
  firecrackerBinary: string;
  /** The VM's id: also what finds its process again (--id is in its command line). */
  vmId: string;
  apiSocket: string;
  configFile: string;
}

export interface JailerOptions {
  jailerBinary: string;
  uid: number;
  gid: number;
  /** Where the jailer builds chroots (its default is /srv/jailer). */
  chrootBaseDir: string;
}

function check(ok: boolean, field: string, message: string): void {
  if (!ok) throw new BenchtopError('INVALID_INPUT', `${field}: ${message}`, { field });
}

/** A workspace id as a VM id: what the jailer refuses becomes '-'. */
export function vmIdFor(workspaceId: string): string {
  return `benchtop-${workspaceId}`.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 64);
}

function validate(o: FirecrackerArgvOptions): void {
  check(VM_ID_RE.test(o.vmId), 'vmId', `must be 1-64 letters, digits or hyphens, got ${JSON.stringify(o.vmId)}`);
  for (const [field, p] of Object.entries({ firecrackerBinary: o.firecrackerBinary, apiSocket: o.apiSocket, configFile: o.configFile })) {
    // eslint-disable-next-line no-control-regex
    check(p.startsWith('/') && !/[\u0000-\u001f]/.test(p), field, `must be an absolute path without control characters, got ${JSON.stringify(p)}`);
  }
}

/** The arguments Firecracker itself takes (after the jailer's `--`, or after the binary). */
function firecrackerArgs(o: FirecrackerArgvOptions): string[] {
  return ['--api-sock', o.apiSocket, '--config-file', o.configFile];
}

/** firecracker --id ID --api-sock SOCK --config-file FILE */
export function firecrackerArgv(o: FirecrackerArgvOptions): string[] {
  validate(o);
  return [o.firecrackerBinary, '--id', o.vmId, ...firecrackerArgs(o)];
}

/**
 * jailer --id ID --exec-file FIRECRACKER --uid U --gid G --chroot-base-dir DIR -- --api-sock … --config-file …
 * The jailer gives Firecracker `--id` itself; the paths after `--` are the jailed ones (see jailLayout).
 */
export function jailerArgv(o: FirecrackerArgvOptions, j: JailerOptions): string[] {
  validate(o);
  check(j.jailerBinary.startsWith('/'), 'jailerBinary', `must be an absolute path, got ${JSON.stringify(j.jailerBinary)}`);
  check(j.chrootBaseDir.startsWith('/'), 'chrootBaseDir', `must be an absolute path, got ${JSON.stringify(j.chrootBaseDir)}`);
  for (const [field, n] of [['uid', j.uid], ['gid', j.gid]] as const) check(Number.isSafeInteger(n) && n >= 0, field, `must be a whole number, got ${n}`);
  return [
    j.jailerBinary,
    '--id', o.vmId,
    '--exec-file', o.firecrackerBinary,
    '--uid', String(j.uid),
    '--gid', String(j.gid),
    '--chroot-base-dir', j.chrootBaseDir,
    '--',
    ...firecrackerArgs(o),
  ];
}

/**
 * Where the jailer's chroot is (`<base>/<exec file name>/<id>/root`), and each
 * file as Firecracker sees it inside (absolute in the chroot) and as the host
 * sees it (to link the kernel, initrd and disk in, and to reach the sockets).
 */
export function jailLayout(chrootBaseDir: string, firecrackerBinary: string, vmId: string) {
  const execName = firecrackerBinary.slice(firecrackerBinary.lastIndexOf('/') + 1);
  const root = join(chrootBaseDir, execName, vmId, 'root');
  const inside = { kernel: '/vmlinux', initrd: '/initrd', rootDisk: '/root.ext4', vsockUds: '/v.sock', apiSocket: '/api.sock', configFile: '/config.json' };
  const onHost = Object.fromEntries(Object.entries(inside).map(([k, p]) => [k, join(root, p)])) as typeof inside;
  return { root, inside, onHost };
}
