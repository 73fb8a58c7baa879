/**
 * Shared by the stream-redaction tests: a seeded random source (the same
 * chunkings on every run, so a failure can be replayed) and an independent
 * reference redaction to compare chunked output against.
 */

/** mulberry32: a small deterministic PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cut points for `length` units: 0 < c1 < c2 < … < length, about `pieces` of them. */
export function randomCuts(random: () => number, length: number, pieces: number): number[] {
  const cuts = new Set<number>();
  for (let i = 0; i < pieces; i++) cuts.add(1 + Math.floor(random() * Math.max(1, length - 1)));
  return [...cuts].filter((c) => c > 0 && c < length).sort((a, b) => a - b);
}

/** Splits `whole` at the given cut points (which must be ascending). */
export function splitAt<T extends { slice(a: number, b?: number): T }>(whole: T, cuts: number[]): T[] {
  const out: T[] = [];
  let from = 0;
  for (const c of [...cuts, undefined]) {
    out.push(whole.slice(from, c));
    if (c !== undefined) from = c;
  }
  return out;
}

/**
 * What redacting the whole text at once gives, written out plainly: scanning
 * left to right, at the first position where any secret starts, the longest
 * secret starting there is replaced.
 */
export function referenceRedact(text: string, secrets: string[], marker: string): string {
  const bySize = [...secrets].sort((a, b) => b.length - a.length);
  let out = '';
  let i = 0;
  while (i < text.length) {
    const hit = bySize.find((s) => text.startsWith(s, i));
    if (hit) {
      out += marker;
      i += hit.length;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}
