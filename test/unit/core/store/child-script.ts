/**
 * Bundles a small TypeScript script (and the store code it imports) into one
 * CommonJS file, so a test can run it as many real processes that each start
 * in milliseconds (a TypeScript loader costs a second or more per process).
 * CommonJS, so the store's `node:fs` calls go through the module object a
 * script may patch.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

export async function bundleScript(entry: string): Promise<string> {
  const outfile = join(mkdtempSync(join(tmpdir(), 'benchtop-child-')), `${basename(entry, '.ts')}.cjs`);
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });
  return outfile;
}
