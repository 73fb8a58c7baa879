/**
 * No backend is known by name outside its driver: anything that differs by
 * backend reads the driver's descriptor. For every id in the contract's list,
 * outside `src-main/core/drivers/` and the contract itself (which defines the
 * list), no string literal may be that id in any quoting ('x', "x", `x`), and
 * no object literal may map two or more ids as keys (a per-backend table). A
 * single key that merely shares a name with a backend — `host:` in the CLI's
 * `--host` option, the workspace's `apptainer:` options field — is a field,
 * not a table.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKEND_IDS } from '../../src-preload/contract';

const REPO = resolve(import.meta.dirname, '..', '..');
const ROOTS = ['src-main', 'src-preload', 'src-renderer/src'];
const ALLOWED = ['src-main/core/drivers/', 'src-preload/contract/'];

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.(ts|tsx)$/.test(name)) out.push(p);
  }
  return out;
}

/** The source with comments removed and each string literal's text kept aside (template holes stay code). */
function scan(source: string): { code: string; strings: string[] } {
  let code = '';
  const strings: string[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let text = '';
      while (j < source.length && source[j] !== c) {
        if (source[j] === '\\') {
          text += source.slice(j, j + 2);
          j += 2;
          continue;
        }
        if (c === '`' && source[j] === '$' && source[j + 1] === '{') {
          // A hole: its code is scanned as code (a quoted id in it is still a literal).
          let depth = 1;
          let k = j + 2;
          while (k < source.length && depth > 0) {
            if (source[k] === '{') depth++;
            else if (source[k] === '}') depth--;
            k++;
          }
          const inner = scan(source.slice(j + 2, k - 1));
          code += ` ${inner.code} `;
          strings.push(...inner.strings);
          text += '\0';
          j = k;
          continue;
        }
        text += source[j];
        j++;
      }
      strings.push(text);
      code += '""';
      i = j + 1;
    } else {
      code += c;
      i++;
    }
  }
  return { code, strings };
}

/** Object literals (by braces) with two or more backend ids as keys. */
function idTables(code: string): string[] {
  const found: string[] = [];
  const stack: string[][] = [];
  const keyRe = /^\s*([A-Za-z_$][\w$]*)\s*:/;
  for (let i = 0; i < code.length; i++) {
    const ch = code[i];
    if (ch === '{') stack.push([]);
    else if (ch === '}') {
      const keys = stack.pop() ?? [];
      const ids = [...new Set(keys.filter((k) => (BACKEND_IDS as readonly string[]).includes(k)))];
      if (ids.length >= 2) found.push(`{ ${ids.join(': …, ')}: … }`);
    } else if ((ch === '{' || ch === ',' || i === 0) && stack.length) {
      // handled below
    }
    if ((ch === '{' || ch === ',') && stack.length) {
      const m = keyRe.exec(code.slice(i + 1, i + 80));
      if (m) (stack[stack.length - 1] as string[]).push(m[1] as string);
    }
  }
  return found;
}

function violations(source: string): string[] {
  const { code, strings } = scan(source);
  const quoted = strings.filter((s) => (BACKEND_IDS as readonly string[]).includes(s)).map((s) => `'${s}'`);
  return [...quoted, ...idTables(code)];
}

describe('backend ids stay inside drivers/', () => {
  it('the scanner finds ids in every quoting and in per-backend tables, not in comments, text or single fields', () => {
    expect(violations(`if (b === 'podman') x();`)).toEqual(["'podman'"]);
    expect(violations(`const a = "gvisor"; const t = \`bwrap\`;`)).toEqual(["'gvisor'", "'bwrap'"]);
    expect(violations('const m = `x ${cond ? \'host\' : y} z`;')).toEqual(["'host'"]);
    expect(violations(`const T = { podman: 1, gvisor: 2 };`)).toEqual(['{ podman: …, gvisor: … }']);
    expect(violations(`const T = {\n  bwrap: f(),\n  host: g(),\n};`)).toEqual(['{ bwrap: …, host: … }']);
    expect(violations(`// podman and 'bwrap' in a comment\n/* 'host' */ const s = 'uses podman: yes';`)).toEqual([]);
    expect(violations(`const o = { host: { type: 'string' }, port: 1 }; const w = { apptainer: {} };`)).toEqual([]);
  });

  it('no file outside drivers/ and the contract names a backend', () => {
    const all = ROOTS.flatMap((r) => files(join(REPO, r)));
    expect(all.length).toBeGreaterThan(50);
    const offenders: string[] = [];
    for (const f of all) {
      const rel = relative(REPO, f);
      if (ALLOWED.some((a) => rel.startsWith(a))) continue;
      for (const v of violations(readFileSync(f, 'utf8'))) offenders.push(`${rel}: ${v}`);
    }
    expect(offenders).toEqual([]);
  });
});
