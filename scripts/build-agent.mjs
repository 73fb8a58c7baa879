// Builds the guest agent (guest/agent/*.c) into build/agent/benchtop-agent: a
// static musl binary that runs in any Linux guest whatever its libc. Rebuilds
// only when a source is newer than the binary. Without musl-gcc (Debian
// musl-tools) it says so on one line and exits 0, so `npm start` still works
// on a machine that never boots a microVM.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const srcDir = join(repo, 'guest/agent');
const outDir = join(repo, 'build/agent');
const out = join(outDir, 'benchtop-agent');

function hasMuslGcc() {
  try {
    execFileSync('musl-gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const sources = readdirSync(srcDir)
  .filter((f) => f.endsWith('.c') || f.endsWith('.h'))
  .map((f) => join(srcDir, f));
const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs), statSync(import.meta.filename).mtimeMs);
let built = 0;
try {
  built = statSync(out).mtimeMs;
} catch {
  // Not built yet.
}

if (built >= newest) process.exit(0);
if (!hasMuslGcc()) {
  console.error('build-agent: musl-gcc not found (apt install musl-tools): the guest agent is not built');
  process.exit(0);
}

mkdirSync(outDir, { recursive: true });
// Built beside the binary and renamed in, so a test or a VM image build never
// picks up half a file.
const tmp = `${out}.tmp-${process.pid}`;
try {
  execFileSync(
    'musl-gcc',
    ['-static', '-Os', '-Wall', '-Wextra', '-Werror', '-o', tmp, ...sources.filter((f) => f.endsWith('.c')).sort()],
    { stdio: 'inherit' },
  );
  renameSync(tmp, out);
} catch {
  rmSync(tmp, { force: true });
  console.error('build-agent: the guest agent did not compile (errors above)');
  process.exit(1);
}
