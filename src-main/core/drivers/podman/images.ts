/**
 * Podman's local image store as choices for the create form, and pulling
 * into it through any transport podman knows (a registry, oci-archive:,
 * docker-archive:, dir:, oci:). A pull's progress lines are streamed as they
 * come; its failure is one line naming the reference and podman's reason.
 */
import { existsSync } from 'node:fs';
import { BenchtopError, type ImageChoice } from '../../../../src-preload/contract';
import type { Runner } from '../../runner/runner';
import type { DriverImages } from '../types';
import { buildImagesJsonArgv, buildPullArgv, parseImagesJson, type PodmanImage } from './argv';

/** Transports whose reference is a path on this host (optionally followed by ":name"). */
const FILE_TRANSPORTS = ['oci-archive', 'docker-archive', 'dir', 'oci'] as const;
const PULL_TIMEOUT_MS = 30 * 60 * 1000;

function choices(images: PodmanImage[]): ImageChoice[] {
  return images.flatMap((i) => i.names.map((ref) => ({ ref, kind: 'image' as const, source: 'store' as const, sizeBytes: i.sizeBytes, createdAt: i.createdAt })));
}

/**
 * For a file transport, the path part must exist before podman is asked
 * (podman's own words for a missing file are "creating temp directory").
 * `oci-archive:/a/b.tar:name` names the image inside; a path may itself hold ":".
 */
export function checkTransportPath(ref: string, exists: (p: string) => boolean = existsSync): void {
  const colon = ref.indexOf(':');
  if (colon < 0) return;
  const transport = ref.slice(0, colon);
  if (!(FILE_TRANSPORTS as readonly string[]).includes(transport)) return;
  const rest = ref.slice(colon + 1);
  if (!rest.startsWith('/')) throw new BenchtopError('INVALID_INPUT', `image: ${transport}: needs an absolute path, e.g. ${transport}:/data/image.tar`, { field: 'ref' });
  // The path is the longest prefix that exists (the name after it may hold ":" too).
  for (let end = rest.length; end > 0; end = rest.lastIndexOf(':', end - 1)) if (exists(rest.slice(0, end))) return;
  const firstColon = rest.indexOf(':');
  throw new BenchtopError('INVALID_INPUT', `image: ${firstColon > 0 ? rest.slice(0, firstColon) : rest} does not exist`, { field: 'ref' });
}

/** podman's reason, without its "Error: " and the nested "initializing source …:" prefixes' noise kept short. */
export function pullFailure(ref: string, stderr: string, exitCode: number): BenchtopError {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = [...lines].reverse().find((l) => l.startsWith('Error: ')) ?? lines.at(-1) ?? `exit code ${exitCode}`;
  const reason = err.replace(/^Error: /, '');
  return new BenchtopError('BACKEND_FAILED', `could not pull ${ref}: ${reason}`, { exitCode, stderr: stderr.slice(-4000) });
}

export function createPodmanImages(runner: Runner, podman: string): DriverImages {
  const list = async (): Promise<PodmanImage[]> => {
    const r = await runner.run([podman, ...buildImagesJsonArgv()], { timeoutMs: 30000 });
    if (r.exitCode !== 0) throw new BenchtopError('BACKEND_FAILED', `podman: could not list images: ${r.stderr.trim().split('\n').pop() ?? r.spawnError ?? r.exitCode}`);
    return parseImagesJson(r.stdout);
  };
  return {
    async list() {
      return choices(await list());
    },
    async pull(ref, onLine) {
      checkTransportPath(ref);
      let stdout = '';
      let stderr = '';
      let pending = '';
      const lineOut = (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        const parts = pending.split(/\r?\n|\r/);
        pending = parts.pop() ?? '';
        for (const p of parts) if (p.trim()) onLine(p.trim());
      };
      const started = runner.start([podman, ...buildPullArgv(ref)], {
        onStdout: (c) => (stdout += c.toString('utf8')),
        onStderr: (c) => {
          stderr += c.toString('utf8');
          if (stderr.length > 64 * 1024) stderr = stderr.slice(-32 * 1024);
          lineOut(c);
        },
      });
      const timer = setTimeout(() => started.kill(), PULL_TIMEOUT_MS);
      const exit = await started.exited.finally(() => clearTimeout(timer));
      if (pending.trim()) onLine(pending.trim());
      if (exit.spawnError) throw new BenchtopError('BACKEND_UNAVAILABLE', `podman is not installed: ${exit.spawnError}`);
      if (exit.code !== 0) throw pullFailure(ref, stderr, exit.code ?? 1);
      // podman prints the image id last; the store names it (from the archive's annotation, or the reference).
      const id = stdout.trim().split('\n').pop() ?? '';
      const pulled = (await list()).find((i) => id && i.id.startsWith(id));
      const ref0 = pulled?.names[0] ?? ref;
      return { ref: ref0, kind: 'image', source: 'store', sizeBytes: pulled?.sizeBytes ?? null, createdAt: pulled?.createdAt ?? null };
    },
  };
}
