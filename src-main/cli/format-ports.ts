/** `benchtop port ls`: one line per published port. */
import type { PortStatus } from '../../src-preload/contract';

export function formatPorts(list: PortStatus[]): string {
  if (list.length === 0) return 'no published ports';
  const rows = list.map((p) => [p.hostPort === null ? '?' : `127.0.0.1:${p.hostPort}`, String(p.port), p.listening ? (p.url ?? '') : `not listening: ${p.reason ?? ''}`]);
  const head = ['HOST', 'PORT', 'URL'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c)).join('  ')).join('\n');
}
