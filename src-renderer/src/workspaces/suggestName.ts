/**
 * The name the create form fills in: free among the names in use, and taken
 * from the project folder when one is picked ("My Data 2" → "my-data-2"),
 * in the contract's alphabet (lower-case letters, digits, _ . -).
 */
import { WORKSPACE_NAME_RE } from '../../../src-preload/contract';

function free(base: string, taken: string[]): string {
  const used = new Set(taken);
  if (!used.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${base.slice(0, 63 - suffix.length)}${suffix}`;
    if (!used.has(candidate)) return candidate;
  }
}

/** analysis-1, analysis-2, … the first one not in use. */
export function suggestName(taken: string[]): string {
  const used = new Set(taken);
  for (let n = 1; ; n++) if (!used.has(`analysis-${n}`)) return `analysis-${n}`;
}

/** A name from a folder's last part, or null when nothing usable is left of it. */
export function nameFromFolder(path: string, taken: string[]): string | null {
  const last = path.replace(/\/+$/, '').split('/').pop() ?? '';
  const slug = last
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '')
    .slice(0, 63);
  if (!slug || !WORKSPACE_NAME_RE.test(slug)) return null;
  return free(slug, taken);
}
