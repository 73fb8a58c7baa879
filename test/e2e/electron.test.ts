/**
 * Smoke test of the Electron shell itself. Electron's binary is downloaded on
 * first use and cannot be on every machine (not on ours): where it is missing
 * the suite skips with the reason; where it is installed it must pass.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { cleanup, tempDir } from '../helpers/cli';
import { REPO } from '../helpers/fixtures';

function electronBinary(): string | null {
  const pathFile = join(REPO, 'node_modules/electron/path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(REPO, 'node_modules/electron/dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

const bin = electronBinary();
const why = !bin ? "Electron's binary is not installed here (it is downloaded on first use)" : !existsSync(join(REPO, 'out/main/main.js')) ? 'the app is not built (npm run build)' : null;

(why ? describe.skip : describe)(`Electron shell${why ? ` — skipped: ${why}` : ''}`, () => {
  it('opens a hardened window whose renderer talks to main through the bridge', async () => {
    const home = tempDir('electron-home');
    const app = await electron.launch({ executablePath: bin as string, args: [join(REPO, 'out/main/main.js'), '--no-sandbox'], env: { ...process.env, BENCHTOP_HOME: home } as Record<string, string> });
    try {
      const win = await app.firstWindow();
      await win.getByText('No workspaces yet.').waitFor({ timeout: 30_000 });
      // No Node in the page (nodeIntegration off, sandboxed), only the two-function bridge.
      expect(await win.evaluate(() => [typeof (window as unknown as { require?: unknown }).require, typeof (window as unknown as { process?: unknown }).process])).toEqual(['undefined', 'undefined']);
      // Navigation away is blocked.
      await win.evaluate(() => (location.href = 'https://example.org/'));
      await win.waitForTimeout(300);
      expect(win.url()).toMatch(/^file:/);
      expect(await win.evaluate(() => Object.keys((window as unknown as { benchtop: object }).benchtop).sort())).toEqual(['onMessage', 'send']);
    } finally {
      await app.close();
      cleanup(home);
    }
  });
});
