// `npm start`: the desktop window when Electron's binary is installed; otherwise
// (e.g. where the binary cannot be downloaded) the same UI through the browser
// host — in Chromium's app mode when there is a display, else by printing the URL.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function electronBinary() {
  const dir = join('node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

function forward(child) {
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
}

const electron = electronBinary();
if (electron) {
  forward(spawn(electron, ['out/main/main.js', ...process.argv.slice(2)], { stdio: 'inherit' }));
} else {
  console.log("benchtop: Electron's binary is not installed here; opening the same UI through the browser host.");
  const host = spawn(process.execPath, ['bin/benchtop.js', 'serve', ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] });
  forward(host);
  let buffered = '';
  host.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    if (buffered === null) return;
    buffered += chunk.toString();
    const url = /(http:\/\/\S+)\n/.exec(buffered)?.[1];
    if (!url) return;
    buffered = null;
    const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(existsSync);
    const display = process.env.DISPLAY || process.env.WAYLAND_DISPLAY;
    if (chromium && display) {
      const profile = join(tmpdir(), `benchtop-chromium-${process.getuid?.() ?? 'user'}`);
      spawn(chromium, [`--app=${url}`, `--user-data-dir=${profile}`, '--no-first-run'], { stdio: 'ignore', detached: true }).unref();
      console.log('benchtop: opened in Chromium (app mode). Ctrl+C stops the host.');
    } else {
      console.log('benchtop: open the URL above in a browser. Ctrl+C stops the host.');
    }
  });
}
