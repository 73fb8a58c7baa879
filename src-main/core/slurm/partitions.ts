/** SLURM's partitions for the create form, from one `sinfo` call. */
import type { SlurmPartition } from '../../../src-preload/contract';
import type { Runner } from '../runner/runner';
import { which } from '../drivers/which';

/** One line per partition: name (the default has a trailing "*"), availability, time limit, node count. */
export function buildSinfoArgv(): string[] {
  return ['sinfo', '--noheader', '--format=%P|%a|%l|%D'];
}

export function parseSinfo(text: string): SlurmPartition[] {
  const out: SlurmPartition[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split('|');
    if (parts.length < 4 || !parts[0]) continue;
    const [raw, state, timeLimit, nodes] = parts as [string, string, string, string];
    const isDefault = raw.endsWith('*');
    const name = isDefault ? raw.slice(0, -1) : raw;
    if (out.some((p) => p.name === name)) continue; // sinfo repeats a partition per node state
    out.push({ name, isDefault, state, timeLimit, nodes: Number.parseInt(nodes, 10) || 0 });
  }
  return out;
}

/** The partitions, or none when SLURM is not installed or sinfo fails (the form still takes free text). */
export async function listPartitions(runner: Runner): Promise<SlurmPartition[]> {
  if (!which('sinfo')) return [];
  const r = await runner.run(buildSinfoArgv(), { timeoutMs: 15000 });
  return r.exitCode === 0 ? parseSinfo(r.stdout) : [];
}
