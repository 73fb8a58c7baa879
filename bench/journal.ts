/**
 * P4: the journal at 100,000 entries. Benchtop's `journal.search` through the
 * real RPC stack in-process (createServiceRpc + memory transport + typed
 * client) vs the raw tool doing the same work on the same files:
 *
 *   first page   journal.search {limit: 100}          vs  tail -n 100 journal.jsonl
 *   full text    journal.search {query: W, limit: 100} vs  grep -c -i W journal.search.tsv
 *                (W in ~1% of the outputs, and W in none)
 *
 * Each Benchtop query is measured warm (the process's index is up to date, as
 * in the running app) and cold (index dropped first: the first search after a
 * start reads journal.jsonl once). Interleaved runs, medians, ratios; no
 * thresholds. The journal is written with Journal.appendMany, which writes
 * exactly what one append per entry would (test/unit/journal-search.test.ts).
 *
 *   npx tsx bench/journal.ts         (alone: merges P4 into bench/results/latest.json)
 *   BENCH_RUNS=5 npx tsx bench/journal.ts
 * bench/run.ts runs it too, as its last section.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient, type BenchtopClient } from '../src-preload/client';
import type { Workspace } from '../src-preload/contract';
import { createMemoryTransportPair } from '../src-preload/transports/memory';
import { Journal, type NewEntryWithOutput } from '../src-main/core/journal/journal';
import { dropSearchIndexes, SEARCH_FILE } from '../src-main/core/journal/search';
import { paths } from '../src-main/core/store/layout';
import { TerminalService } from '../src-main/core/terminals/service';
import { WorkspaceService } from '../src-main/core/workspaces/service';
import { createServiceRpc } from '../src-main/rpc/handlers';
import { run } from './proc';
import { fmtMs, type Summary, variantResults } from './stats';

const ENTRIES = Number(process.env.BENCH_JOURNAL_ENTRIES) > 0 ? Number(process.env.BENCH_JOURNAL_ENTRIES) : 100_000;
const RARE = 'quokka'; // in the stdout of 1 entry in 100
const ABSENT = 'zyzzyva'; // in none
const BATCH = 5000;

export interface JournalVariantResult extends Summary {
  variant: string;
  raw: boolean;
  samplesMs: number[];
  ratioToRaw: number | null;
  argv?: string[];
}

export interface JournalBenchResult {
  id: string;
  title: string;
  backend: string;
  runs: number;
  seconds: number;
  variants: JournalVariantResult[];
  error?: string;
  /** What was measured on (entries, file sizes, matches), for the record. */
  data?: Record<string, number>;
}

interface Variant {
  name: string;
  raw?: boolean;
  argv?: string[];
  before?(): void;
  once(): Promise<number>;
}

function item(i: number, t0: number): NewEntryWithOutput {
  const seq = i + 1;
  const failed = i % 17 === 3;
  const command = `python train.py --trial ${seq} --lr 0.${(seq * 7919) % 1000}`;
  const stdout = `trial ${seq}: epoch 1 loss ${((seq * 31) % 997) / 1000}\n${i % 100 === 42 ? `found a ${RARE} in the data\n` : ''}done\n`;
  const stderr = failed ? `Traceback (most recent call last):\nValueError: trial ${seq} diverged\n` : '';
  const size = (s: string) => Buffer.byteLength(s);
  return {
    entry: {
      workspaceId: 'bench-journal',
      source: 'exec',
      command,
      argv: ['sh', '-lc', command],
      cwd: '/workspace',
      client: 'bench',
      startedAt: new Date(t0 + i * 1000).toISOString(),
      durationMs: 100 + (i % 900),
      exitCode: failed ? 1 : 0,
      timedOut: false,
      event: null,
      detail: null,
    },
    output: { stdout: { text: stdout, totalBytes: size(stdout), truncated: false }, stderr: { text: stderr, totalBytes: size(stderr), truncated: false } },
  };
}

function workspaceRecord(id: string, project: string): Workspace {
  const at = new Date().toISOString();
  return {
    id,
    name: 'p4-journal',
    backend: 'host',
    state: 'stopped',
    reason: null,
    image: null,
    imageKind: 'system',
    project,
    limits: { execTimeoutSec: 300 },
    unenforcedLimits: [],
    network: 'full',
    isolation: 'none',
    env: {},
    secretKeys: [],
    ttlSec: null,
    expiresAt: null,
    createdAt: at,
    updatedAt: at,
    startedAt: null,
    stoppedAt: at,
    placement: { kind: 'local' }, slurm: null, disk: null, mounts: [], devRepos: [], gpu: false, apptainer: {}, ports: [],
    runtime: {},
  };
}

async function measure(id: string, title: string, runs: number, variants: Variant[]): Promise<JournalBenchResult> {
  const started = performance.now();
  process.stdout.write(`${id} ${title}: `);
  const out: JournalBenchResult = { id, title, backend: 'journal', runs, seconds: 0, variants: [] };
  try {
    const samples = variants.map(() => [] as number[]);
    for (let i = -1; i < runs; i++) {
      for (const [k, v] of variants.entries()) {
        v.before?.();
        const ms = await v.once();
        if (i >= 0) samples[k]?.push(ms);
      }
      process.stdout.write(i < 0 ? 'w' : '.');
    }
    out.variants = variantResults(variants, samples, 2);
  } catch (err) {
    out.error = (err as Error).message.split('\n')[0];
  }
  out.seconds = (performance.now() - started) / 1000;
  process.stdout.write(out.error ? ` FAILED: ${out.error}\n` : ` ${out.seconds.toFixed(1)}s\n`);
  return out;
}

/** Builds the journal, runs the three P4 measurements, cleans up. */
export async function journalBench(opts: { runs?: number } = {}): Promise<JournalBenchResult[]> {
  const runs = Math.max(5, opts.runs ?? 10);
  const home = mkdtempSync(join(os.tmpdir(), 'benchtop-bench-journal-'));
  try {
    const service = new WorkspaceService({ home });
    const ws = workspaceRecord('b4a1c0ffee00', join(home, 'project'));
    mkdirSync(service.registry.dir(ws.id), { recursive: true });
    service.registry.write(ws);
    const dir = service.registry.dir(ws.id);
    const journal = new Journal(dir);

    process.stdout.write(`P4 journal: writing ${ENTRIES.toLocaleString('en')} exec entries… `);
    const w0 = performance.now();
    const t0 = Date.parse('2025-01-01T00:00:00Z');
    for (let i = 0; i < ENTRIES; i += BATCH) {
      const items: NewEntryWithOutput[] = [];
      for (let k = i; k < Math.min(ENTRIES, i + BATCH); k++) items.push(item(k, t0));
      await journal.appendMany(items);
    }
    const jsonl = paths.journal(dir);
    const sidecar = join(dir, SEARCH_FILE);
    process.stdout.write(
      `${((performance.now() - w0) / 1000).toFixed(1)}s; journal.jsonl ${(statSync(jsonl).size / 1e6).toFixed(1)} MB, ${SEARCH_FILE} ${(statSync(sidecar).size / 1e6).toFixed(1)} MB\n`,
    );

    const { server, dispose } = createServiceRpc(service, new TerminalService(service));
    const [serverSide, clientSide] = createMemoryTransportPair();
    const detach = server.attach(serverSide, { client: 'bench' });
    const client: BenchtopClient = createClient(clientSide);

    let rareCount = 0;
    let newestRare = 0;
    for (let i = 0; i < ENTRIES; i++) {
      if (i % 100 !== 42) continue;
      rareCount++;
      newestRare = i + 1;
    }
    /** One untimed check of the answer before timing it: totals and the newest entry. */
    const check = async (query: string | undefined, total: number, newest: number | undefined) => {
      const r = await client.call('journal.search', { workspace: ws.name, ...(query ? { query } : {}), limit: 100 });
      if (r.total !== total || r.entries[0]?.seq !== newest) {
        throw new Error(`journal.search ${query ?? '(no query)'}: total ${r.total}, newest ${r.entries[0]?.seq}; expected ${total}, ${newest}`);
      }
    };
    await check(undefined, ENTRIES, ENTRIES);
    await check(RARE, rareCount, newestRare);
    await check(ABSENT, 0, undefined);

    /** Times one search; a wrong answer throws rather than becoming a fast sample. */
    const timed = (query: string | undefined, want: number) => async () => {
      const t = performance.now();
      const r = await client.call('journal.search', { workspace: ws.name, ...(query ? { query } : {}), limit: 100 });
      const ms = performance.now() - t;
      if (r.total !== want || r.entries.length !== Math.min(100, want)) throw new Error(`journal.search returned ${r.entries.length}/${r.total}, expected ${want}`);
      return ms;
    };
    const rawTail = ['tail', '-n', '100', jsonl];
    const rawGrep = (word: string) => ['grep', '-c', '-i', word, sidecar];
    const grepCount = async (word: string, want: number) => {
      const t = performance.now();
      let count = '0';
      try {
        count = (await run(rawGrep(word))).stdout.trim();
      } catch {
        // grep exits 1 when nothing matches.
      }
      const ms = performance.now() - t;
      if (Number(count) !== want) throw new Error(`grep -c ${word}: ${count}, expected ${want}`);
      return ms;
    };
    const benchOf = (query: string | undefined, want: number, raw: Variant): Variant[] => [
      { name: 'rpc-warm', once: timed(query, want) },
      { name: 'rpc-cold', before: dropSearchIndexes, once: timed(query, want) },
      raw,
    ];

    const results: JournalBenchResult[] = [];
    results.push(
      await measure('P4', 'first page', runs, benchOf(undefined, ENTRIES, {
        name: 'raw',
        raw: true,
        argv: rawTail,
        once: async () => {
          const r = await run(rawTail);
          if (r.stdout.split('\n').filter(Boolean).length !== 100) throw new Error('tail did not print 100 lines');
          return r.ms;
        },
      })),
    );
    results.push(await measure('P4', 'search 1%', runs, benchOf(RARE, rareCount, { name: 'raw', raw: true, argv: rawGrep(RARE), once: () => grepCount(RARE, rareCount) })));
    results.push(await measure('P4', 'search none', runs, benchOf(ABSENT, 0, { name: 'raw', raw: true, argv: rawGrep(ABSENT), once: () => grepCount(ABSENT, 0) })));
    const data = { entries: ENTRIES, journalBytes: statSync(jsonl).size, sidecarBytes: statSync(sidecar).size, rareMatches: rareCount };
    for (const r of results) r.data = data;

    detach();
    client.dispose();
    dispose();
    dropSearchIndexes();
    return results;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Lines in the format of bench/run.ts's table. */
export function journalTable(results: JournalBenchResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const label = `${r.id} ${r.title}`.padEnd(26);
    if (r.error) {
      lines.push(`${label} ERROR ${r.error}`);
      continue;
    }
    const raw = r.variants.find((v) => v.raw);
    for (const v of r.variants.filter((x) => !x.raw)) {
      lines.push(
        `${label} ${v.variant.padEnd(13)} median ${fmtMs(v.median).padStart(6)} [${fmtMs(v.min)}–${fmtMs(v.max)}]`.padEnd(74) +
          `raw ${fmtMs(raw?.median ?? NaN).padStart(6)} [${fmtMs(raw?.min ?? NaN)}–${fmtMs(raw?.max ?? NaN)}]`.padEnd(28) +
          `ratio ${v.ratioToRaw === null ? '-' : `${v.ratioToRaw.toFixed(2)}x`}`,
      );
    }
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  const envRuns = Number(process.env.BENCH_RUNS);
  const results = await journalBench({ runs: Number.isInteger(envRuns) && envRuns > 0 ? envRuns : undefined });
  process.stdout.write(`\n${journalTable(results)}\n`);
  // Merge into the shared results file: replace any earlier P4, keep the rest.
  const dir = resolve(import.meta.dirname, 'results');
  const file = join(dir, 'latest.json');
  mkdirSync(dir, { recursive: true });
  let json: { results?: { id?: string }[]; [k: string]: unknown } = {};
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as typeof json;
  } catch {
    // No earlier results.
  }
  json.results = [...(json.results ?? []).filter((r) => r.id !== 'P4'), ...results];
  json.p4FinishedAt = new Date().toISOString();
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(`wrote ${file}\n`);
  return results.some((r) => r.error) ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`bench/journal: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
