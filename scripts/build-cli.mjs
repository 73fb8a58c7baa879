// Bundles the CLI (and the browser host it serves) into dist/ so `benchtop` starts
// in milliseconds without a TypeScript loader. Dependencies stay external.
import { renameSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry hashes, so each build starts clean; it is built beside dist/ and
// swapped in whole, so a `benchtop` (or a watchdog) starting meanwhile never finds half a build.
const tmp = `dist.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });

await build({
  entryPoints: { cli: 'src-main/cli/main.ts', 'fd3-launcher': 'src-main/launcher/fd3.ts', watchdog: 'src-main/core/watchdog/daemon.ts', forwarder: 'src-main/core/ports/forwarder.ts', 'vm-supervisor': 'src-main/core/vm/supervisor.ts', 'vm-start': 'src-main/core/drivers/qemu/start-on-node.ts', 'agent-relay': 'src-main/core/vm/agent-relay.ts' },
  outdir: tmp,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  // Split so `serve` (ws, http) loads only when asked for: every other command starts faster.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});

const old = `dist.old-${process.pid}`;
try {
  renameSync('dist', old);
} catch {
  // First build: no dist/ yet.
}
renameSync(tmp, 'dist');
rmSync(old, { recursive: true, force: true });
