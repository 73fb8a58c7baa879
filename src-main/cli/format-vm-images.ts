/** `benchtop image ls`: one line per version of each VM image. */
import type { VmImage } from '../../src-preload/contract';

export function formatVmImages(list: VmImage[]): string {
  if (list.length === 0) return 'no VM images yet (build one: benchtop image build NAME --from DIR|PODMAN-IMAGE)';
  const head = ['IMAGE', 'KERNEL', 'SIZE', 'DIGEST', 'CREATED', 'SOURCE'];
  const rows = list.map((i) => [`${i.name}@${i.version}`, i.kernelRelease, `${i.sizeMiB} MiB`, i.digest.slice(0, 12), i.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), i.source]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ')).join('\n');
}
