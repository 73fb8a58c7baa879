/**
 * Crash-safe writes, on real processes killed mid-write: whatever point a
 * writer dies at, the file holds its old content or its new one, never half —
 * the temp file it was filling never takes the good file's place.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson, replaceFile, writeFileAtomic } from '../../../../src-main/core/store/atomic';
import { bundleScript } from './child-script';

const dir = mkdtempSync(join(tmpdir(), 'benchtop-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OLD = JSON.stringify({ version: 'old', pad: 'o'.repeat(4000) });
const NEW = JSON.stringify({ version: 'new', pad: 'n'.repeat(4000) });

/** The three points a writer can die at: halfway through the data, before it is synced, before the rename. */
const KILL_POINTS = [
  ['atomic', 'write'],
  ['atomic', 'fsync'],
  ['atomic', 'rename'],
  ['replace', 'write'],
  ['replace', 'rename'], // replaceFile does not fsync
] as const;
/** Per kill point: the folder its writer worked in, once the writer was killed there. */
const killed = new Map<string, string>();

/** Runs a writer in its own process that is SIGKILLed at `at`, over a good file. */
function killedWriter(script: string, how: string, at: string): Promise<void> {
  const sub = mkdtempSync(join(dir, `${how}-${at}-`));
  const path = join(sub, 'workspace.json');
  writeFileSync(path, OLD);
  const child = spawn(process.execPath, [script, how, path, NEW, at], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer was not killed at ${at} (${code}): ${err}`));
      killed.set(`${how}/${at}`, sub);
      resolve();
    }),
  );
}

beforeAll(async () => {
  const script = await bundleScript(join(__dirname, 'kill-mid-write.ts'));
  // All at once: each is a process start-up.
  await Promise.all(KILL_POINTS.map(([how, at]) => killedWriter(script, how, at)));
});

describe('writeFileAtomic and replaceFile', () => {
  it('write the whole content, make the folder, keep the mode, and leave no temp file', () => {
    const path = join(dir, 'made', 'deep', 'record.json');
    writeFileAtomic(path, NEW, 0o600);
    expect(readFileSync(path, 'utf8')).toBe(NEW);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    writeFileAtomic(path, new TextEncoder().encode(OLD));
    expect(readFileSync(path, 'utf8')).toBe(OLD);
    replaceFile(path, NEW);
    expect(readFileSync(path, 'utf8')).toBe(NEW);
    expect(readdirSync(join(dir, 'made', 'deep'))).toEqual(['record.json']);
  });

  for (const [how, at] of KILL_POINTS) {
    it(`${how === 'atomic' ? 'writeFileAtomic' : 'replaceFile'} killed at ${at}: the good file stays whole`, () => {
      const sub = killed.get(`${how}/${at}`) as string;
      const path = join(sub, 'workspace.json');
      expect(readFileSync(path, 'utf8')).toBe(OLD);
      expect(readJson<{ version: string }>(path)?.version).toBe('old');
      // What the dead writer left is its own temp file, beside the good one (never read as a record).
      const left = readdirSync(sub).filter((n) => n !== 'workspace.json');
      expect(left).toHaveLength(1);
      expect(left[0]).toMatch(/^workspace\.json\.tmp-\d+-[0-9a-f]{8}$/);
      expect(NEW.startsWith(readFileSync(join(sub, left[0] as string), 'utf8'))).toBe(true);
    });
  }
});

describe('readJson', () => {
  it('is null for a missing file, parses a good one, and throws for one that is not JSON', () => {
    expect(readJson(join(dir, 'nope.json'))).toBeNull();
    writeFileSync(join(dir, 'good.json'), '{"a":1}');
    expect(readJson(join(dir, 'good.json'))).toEqual({ a: 1 });
    writeFileSync(join(dir, 'bad.json'), '{"a":');
    expect(() => readJson(join(dir, 'bad.json'))).toThrow(SyntaxError);
  });
});
