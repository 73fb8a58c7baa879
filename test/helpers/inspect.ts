/** Looking at the real system from a test: processes by env marker, files containing a string. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export async function processesWith(envEntry: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(envEntry)) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

/** Files under `dir` whose bytes contain any of `needles`. */
export function grepTree(dir: string, needles: string[]): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const s = statSync(p, { throwIfNoEntry: false });
      if (!s) continue;
      if (s.isDirectory()) walk(p);
      else if (s.isFile()) {
        const text = readFileSync(p, 'latin1');
        if (needles.some((n) => text.includes(n))) hits.push(p);
      }
    }
  };
  walk(dir);
  return hits.sort();
}
