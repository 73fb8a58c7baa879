import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '..', '..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (/\.(ts|tsx|mts|cts)$/.test(name)) out.push(p);
  }
  return out;
}

/** Every module specifier a file imports or requires (static, dynamic, re-export). */
function specifiers(source: string): string[] {
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;
  return [...source.matchAll(re)].map((m) => m[1] as string);
}

describe('layering', () => {
  it('the specifier scanner sees every import form', () => {
    const src = `import a from 'x1';\nimport type { B } from "x2";\nexport * from './x3';\nconst c = require('x4');\nawait import('x5');\nimport 'x6';`;
    expect(specifiers(src)).toEqual(['x1', 'x2', './x3', 'x4', 'x5', 'x6']);
  });

  it('no file under src-main/core imports electron', () => {
    const files = tsFiles(join(REPO, 'src-main/core'));
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((f) => specifiers(readFileSync(f, 'utf8')).some((s) => s === 'electron' || s.startsWith('electron/')));
    expect(offenders.map((f) => relative(REPO, f))).toEqual([]);
  });

  it('no file under src-preload/contract imports from src-main', () => {
    const dir = join(REPO, 'src-preload/contract');
    const files = tsFiles(dir);
    expect(files.length).toBeGreaterThan(3);
    const offenders: string[] = [];
    for (const f of files) {
      for (const s of specifiers(readFileSync(f, 'utf8'))) {
        const target = s.startsWith('.') ? resolve(join(f, '..'), s) : s;
        if (target.includes('src-main')) offenders.push(`${relative(REPO, f)} -> ${s}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the notification rules shared by the window and the Electron shell depend on nothing but the contract and themselves', () => {
    const files = tsFiles(join(REPO, 'src-preload/notify'));
    expect(files.length).toBeGreaterThan(1);
    const external = files.flatMap((f) => specifiers(readFileSync(f, 'utf8')).filter((s) => !s.startsWith('./') && s !== '../contract'));
    expect(external).toEqual([]);
  });

  it('the contract depends on nothing but zod and itself', () => {
    const files = tsFiles(join(REPO, 'src-preload/contract'));
    const external = files.flatMap((f) => specifiers(readFileSync(f, 'utf8')).filter((s) => !s.startsWith('./') && s !== 'zod'));
    expect(external).toEqual([]);
  });
});
