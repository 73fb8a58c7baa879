/**
 * NVIDIA GPUs for podman workspaces, through CDI (the Container Device
 * Interface): podman ≥ 4.1 resolves `--device nvidia.com/gpu=all` from a CDI
 * spec that the NVIDIA Container Toolkit writes. Whether a workspace here
 * can have a GPU is told before anything starts: a GPU present, and a spec
 * naming it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Where CDI specs live (static, then generated at boot). */
export const CDI_DIRS = ['/etc/cdi', '/var/run/cdi'];
export const CDI_HINT = 'generate one with the NVIDIA Container Toolkit: sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml';

/** All GPUs, with the driver's libraries and tools mounted by the toolkit's hooks. */
export function gpuRunArgs(): string[] {
  return ['--device', 'nvidia.com/gpu=all', '--env', 'NVIDIA_VISIBLE_DEVICES=all', '--env', 'NVIDIA_DRIVER_CAPABILITIES=all'];
}

export interface GpuProbeFs {
  exists(path: string): boolean;
  list(dir: string): string[];
  read(path: string): string;
}

const realFs: GpuProbeFs = {
  exists: (p) => {
    try {
      statSync(p);
      return true;
    } catch {
      return false;
    }
  },
  list: (d) => {
    try {
      return readdirSync(d);
    } catch {
      return [];
    }
  },
  read: (p) => {
    try {
      return readFileSync(p, 'utf8').slice(0, 1024 * 1024);
    } catch {
      return '';
    }
  },
};

/** null when a GPU and a CDI spec for it are here; otherwise what is missing and how to fix it. */
export function gpuUnavailable(fs: GpuProbeFs = realFs, cdiDirs: string[] = CDI_DIRS): string | null {
  const gpu = fs.exists('/dev/nvidia0') || fs.list('/proc/driver/nvidia/gpus').length > 0;
  if (!gpu) return `no NVIDIA GPU on this machine (no /dev/nvidia0): with a GPU and its driver, ${CDI_HINT}`;
  const specs = cdiDirs.flatMap((d) => fs.list(d).filter((f) => /\.(ya?ml|json)$/.test(f)).map((f) => join(d, f)));
  if (!specs.some((s) => /nvidia\.com\/gpu/.test(fs.read(s)))) return `no CDI spec for nvidia.com/gpu in ${cdiDirs.join(' or ')}: ${CDI_HINT}`;
  return null;
}
