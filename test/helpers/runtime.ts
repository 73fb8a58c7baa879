/**
 * Runtime gates for integration tests. Outside CI a missing runtime skips the
 * suite with a one-line reason; with BENCHTOP_REQUIRE_RUNTIMES=1 (set by
 * .ci/run) it fails instead, so CI can never go green by skipping.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';
import { AGENT_BINARY, FIXTURE_IMAGE, FIXTURE_ROOTFS, CI_USER, REPO, VM_FIXTURE } from './fixtures';

export const REQUIRED = process.env.BENCHTOP_REQUIRE_RUNTIMES === '1';

function ok(argv: string[]): boolean {
  try {
    execFileSync(argv[0] as string, argv.slice(1), { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

const probes: Record<string, () => string | null> = {
  bwrap: () => (ok(['bwrap', '--version']) ? null : 'bwrap is not installed'),
  podman: () =>
    !ok(['podman', '--version'])
      ? 'podman is not installed'
      : process.getuid?.() !== 0
        ? 'rootful podman tests need root'
        : !ok(['podman', 'image', 'exists', FIXTURE_IMAGE])
          ? `test image ${FIXTURE_IMAGE} missing (run test/fixtures/build-images.sh)`
          : !existsSync(FIXTURE_ROOTFS)
            ? 'test rootfs missing (run test/fixtures/build-images.sh)'
            : null,
  gvisor: () => (!ok(['runsc', '--version']) ? 'runsc is not installed' : probes.podman!()),
  rootless: () =>
    process.getuid?.() !== 0
      ? 'rootless tests switch to the test user and need root'
      : !ok(['id', CI_USER])
        ? `test user ${CI_USER} missing (run test/fixtures/setup-user.sh)`
        : !ok(['podman', '--version'])
          ? 'podman is not installed'
          : null,
};

function slurmUp(): boolean {
  try {
    return /is UP/.test(execFileSync('timeout', ['5', 'scontrol', 'ping'], { encoding: 'utf8', timeout: 10_000 }));
  } catch {
    return false;
  }
}

Object.assign(probes, {
  qemu: () =>
    !ok(['qemu-system-x86_64', '--version'])
      ? 'QEMU is not installed (apt install qemu-system-x86 qemu-utils)'
      : !ok(['qemu-img', '--version'])
        ? 'qemu-img is not installed (apt install qemu-utils)'
        : !ok(['mkfs.ext4', '-V'])
          ? 'mkfs.ext4 is not installed (apt install e2fsprogs)'
          : !existsSync(`${VM_FIXTURE}/kernel.json`)
            ? 'the test kernel is missing (run test/fixtures/build-vm.sh)'
            : !existsSync(AGENT_BINARY)
              ? `the guest agent is not built (${AGENT_BINARY}: node scripts/build-agent.mjs)`
              : !existsSync(FIXTURE_ROOTFS)
                ? 'test rootfs missing (run test/fixtures/build-images.sh --rootfs-only)'
                : null,
  slurm: () => (!ok(['which', 'sbatch']) ? 'SLURM is not installed (apt install slurm-wlm munge)' : !slurmUp() ? 'no SLURM controller is up (run test/fixtures/setup-slurm.sh)' : probes.bwrap!()),
  chromium: () => (!existsSync(process.env.BENCHTOP_CHROMIUM ?? '/usr/bin/chromium') ? 'Chromium is not installed (apt install chromium)' : !existsSync(`${REPO}/out/renderer/index.html`) ? 'the renderer is not built (npm run build)' : probes.bwrap!()),
  keyring: () =>
    !ok(['which', 'secret-tool'])
      ? 'secret-tool is not installed (apt libsecret-tools)'
      : !ok(['which', 'gnome-keyring-daemon'])
        ? 'gnome-keyring is not installed'
        : !ok(['which', 'dbus-daemon'])
          ? 'dbus is not installed'
          : probes.bwrap!(),
});

const cache = new Map<string, string | null>();

/** Why `runtime` cannot be tested here, or null when it can. */
export function unavailable(runtime: keyof typeof probes): string | null {
  if (!cache.has(runtime)) cache.set(runtime, probes[runtime]!());
  return cache.get(runtime) ?? null;
}

/** `describe` that runs only when the runtime is usable (and fails in CI when it is not). */
export function describeWith(runtime: keyof typeof probes, name: string, fn: () => void): void {
  const why = unavailable(runtime);
  if (why === null) {
    describe(name, fn);
    return;
  }
  if (REQUIRED) {
    describe(name, () => {
      it(`requires ${runtime}`, () => {
        throw new Error(`${runtime} is required in CI but unusable: ${why}`);
      });
    });
    return;
  }
  describe.skip(`${name} — skipped: ${why}`, fn);
}

