// Bundles the CLI (and the browser host it serves) into dist/ so `benchtop` starts
// in milliseconds without a TypeScript loader. Dependencies stay external.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry hashes: start clean so stale chunks never pile up.
rmSync('dist', { recursive: true, force: true });

await build({
  entryPoints: { cli: 'src-main/cli/main.ts', 'fd3-launcher': 'src-main/launcher/fd3.ts', watchdog: 'src-main/core/watchdog/daemon.ts' },
  outdir: 'dist',
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
