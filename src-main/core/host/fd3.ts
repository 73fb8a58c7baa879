/**
 * Handing a child data on fd 3 when the parent cannot open that fd for it (a
 * PTY child, or a command started on another node by srun): a small launcher
 * runs first, takes the payload from its environment (BENCHTOP_FD3) and opens
 * fd 3 for the real program. The payload never appears in any argv.
 */
import { join } from 'node:path';
import { packageRoot } from './package-root';

export function withFd3Launcher(argv: string[], env: Record<string, string>, fd3: string | Uint8Array): { argv: string[]; env: Record<string, string> } {
  const payload = typeof fd3 === 'string' ? Buffer.from(fd3, 'latin1') : Buffer.from(fd3);
  return {
    argv: [process.execPath, join(packageRoot(), 'dist', 'fd3-launcher.js'), ...argv],
    env: { ...env, BENCHTOP_FD3: payload.toString('base64'), ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) },
  };
}
