/** Order statistics for a handful of noisy samples: medians, never means. */
export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function summarize(samples: number[]): Summary {
  if (samples.length === 0) return { n: 0, median: NaN, min: NaN, max: NaN };
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { n: s.length, median, min: s[0] as number, max: s[s.length - 1] as number };
}

export const fmtMs = (ms: number): string => (Number.isFinite(ms) ? `${ms < 10 ? ms.toFixed(1) : Math.round(ms)}ms` : '-');

/** Per-variant summaries and each variant's median ratio to the raw one (null for raw, or when there is none). */
export function variantResults<V extends { name: string; raw?: boolean; argv?: string[] }>(
  variants: V[],
  samples: number[][],
  decimals: number,
): (Summary & { variant: string; raw: boolean; samplesMs: number[]; ratioToRaw: number | null; argv?: string[] })[] {
  const rawIdx = variants.findIndex((v) => v.raw);
  const rawMedian = rawIdx >= 0 ? summarize(samples[rawIdx] ?? []).median : NaN;
  const scale = 10 ** decimals;
  return variants.map((v, k) => {
    const s = samples[k] ?? [];
    const sum = summarize(s);
    return {
      variant: v.name,
      raw: !!v.raw,
      ...sum,
      samplesMs: s.map((x) => Math.round(x * scale) / scale),
      ratioToRaw: v.raw || !Number.isFinite(rawMedian) ? null : sum.median / rawMedian,
      ...(v.argv ? { argv: v.argv } : {}),
    };
  });
}
