/**
 * SLURM placement builders: shell quoting (proven by a real shell), the
 * allocation script (syntax-checked and run end to end), and the sbatch /
 * squeue / srun / scancel argv.
 */
import { SlurmPlacement } from '../../src-main/core/slurm/placement';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FAILED_MARKER,
  READY_MARKER,
  SLURM_TIME_RE,
  allocationTime,
  formatSlurmMinutes,
  slurmTimeSeconds,
  SQUEUE_FORMAT,
  STOPPED_MARKER,
  buildAllocationScript,
  buildSbatchArgv,
  buildScancelArgv,
  buildSqueueArgv,
  buildSrunPrefix,
  parseSqueue,
  shLine,
  shQuote,
  type AllocationPlan,
} from '../../src-main/core/slurm/argv';

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(join(os.tmpdir(), 'bt-slurm-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const ADVERSARIAL = [
  'plain',
  'two words',
  "it's",
  "''",
  '"double"',
  '$(rm -rf /)',
  '`touch /tmp/pwned`',
  '$HOME',
  '${PATH}',
  'line1\nline2',
  'a;b',
  '; echo injected',
  '',
  ' ',
  '\\',
  '\\\'',
  '*',
  '&& false',
  '| cat',
  '> /tmp/x',
  '#comment',
  '~',
  '!',
  'tab\there',
  'ünïcödé',
];

describe('shQuote / shLine', () => {
  it('single-quotes every word, with embedded quotes as \'\\\'\'', () => {
    expect(shQuote('abc')).toBe("'abc'");
    expect(shQuote('')).toBe("''");
    expect(shQuote("it's")).toBe("'it'\\''s'");
    expect(shQuote('$(rm -rf /)')).toBe("'$(rm -rf /)'");
    expect(shLine(['a', 'b c', ''])).toBe("'a' 'b c' ''");
    expect(shLine([])).toBe('');
  });

  it('a real shell gives back exactly the words (each adversarial word alone)', async () => {
    for (const w of ADVERSARIAL) {
      const r = await execa('sh', ['-c', `printf "%s\\n" ${shLine([w])}`], { stripFinalNewline: false, reject: false });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe(`${w}\n`);
    }
  });

  it('a real shell gives back exactly the words (all at once, count preserved)', async () => {
    const r = await execa('sh', ['-c', `printf "%s\\n" ${shLine(ADVERSARIAL)}`], { stripFinalNewline: false, reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(ADVERSARIAL.map((w) => `${w}\n`).join(''));
    // Count with a NUL separator so embedded newlines cannot fake it.
    const n = await execa('sh', ['-c', `printf "%s\\0" ${shLine(ADVERSARIAL)}`], { stripFinalNewline: false, encoding: 'buffer' });
    const parts = Buffer.from(n.stdout).toString('utf8').split('\0');
    expect(parts.pop()).toBe('');
    expect(parts).toEqual(ADVERSARIAL);
  });

  it('nothing in a quoted word is executed', async () => {
    const marker = join(tmp, 'pwned');
    const words = [`$(touch ${marker})`, `\`touch ${marker}\``, `; touch ${marker}`, `' ; touch ${marker} ; '`];
    await execa('sh', ['-c', `printf "%s\\n" ${shLine(words)}`]);
    expect(existsSync(marker)).toBe(false);
  });
});

const FULL_PLAN: AllocationPlan = {
  start: ['apptainer', 'instance', 'start', '--env', "X=it's $(id)", '/img/a b.sif', 'benchtop-abc'],
  alive: { argv: ['apptainer', 'exec', 'instance://benchtop-abc', 'true'] },
  stop: ['apptainer', 'instance', 'stop', 'benchtop-abc'],
};

async function shSyntaxOk(script: string): Promise<void> {
  const file = join(tmp, `syntax-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(file, script);
  const r = await execa('sh', ['-n', file], { reject: false });
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
}

describe('buildAllocationScript (content)', () => {
  it('plan with start/alive/stop', async () => {
    const s = buildAllocationScript({ workspaceId: 'abc', name: 'hpc', plan: FULL_PLAN });
    expect(s.startsWith('#!/bin/sh\n')).toBe(true);
    expect(s.endsWith('\n')).toBe(true);
    expect(s).toContain('set -u');
    expect(s).toContain(READY_MARKER);
    expect(s).toContain(`if ! ${shLine(FULL_PLAN.start as string[])}; then echo ${FAILED_MARKER}; exit 1; fi`);
    // The failure branch comes after the start and before READY.
    expect(s.indexOf(FAILED_MARKER, s.indexOf('if !'))).toBeLessThan(s.indexOf(`echo ${READY_MARKER}`));
    expect(s).toContain(`trap 'cleanup; echo ${STOPPED_MARKER}; exit 0' TERM INT HUP`);
    expect(s).toMatch(/trap '[^']*' [A-Z ]*\bTERM\b/);
    expect(s).toContain(`cleanup() { ${shLine(FULL_PLAN.stop as string[])} >/dev/null 2>&1 || true; }`);
    expect(s).toContain(`while ${shLine(FULL_PLAN.alive?.argv as string[])} >/dev/null 2>&1; do sleep 5 & wait $!; done`);
    expect(s).toContain(`'X=it'\\''s $(id)'`);
    expect(s).toContain("'/img/a b.sif'");
    expect(s.trimEnd().split('\n').slice(-2)).toEqual(['cleanup', `echo ${STOPPED_MARKER}`]);
    await shSyntaxOk(s);
  });

  it('alive with an expected output compares the quoted output', async () => {
    const s = buildAllocationScript({
      workspaceId: 'abc',
      name: 'hpc',
      plan: { start: ['podman', 'start', 'c'], alive: { argv: ['podman', 'inspect', '-f', '{{.State.Running}}', 'c'], output: "true 'x'" }, stop: ['podman', 'stop', 'c'] },
    });
    expect(s).toContain(`while [ "$('podman' 'inspect' '-f' '{{.State.Running}}' 'c' 2>/dev/null)" = 'true '\\''x'\\''' ]; do sleep 5 & wait $!; done`);
    await shSyntaxOk(s);
  });

  it('no plan (bwrap): no start, loop forever, trap still ends it', async () => {
    const s = buildAllocationScript({ workspaceId: 'abc', name: 'hpc', plan: {} });
    expect(s).not.toContain('if !');
    expect(s).not.toContain(FAILED_MARKER.concat(';'));
    expect(s).toContain('cleanup() { :; }');
    expect(s).toContain(`echo ${READY_MARKER}`);
    expect(s).toContain('while :; do sleep 60 & wait $!; done');
    expect(s).toContain(`trap 'cleanup; echo ${STOPPED_MARKER}; exit 0' TERM INT HUP`);
    await shSyntaxOk(s);
  });

  it('workspace name in the comment cannot break out (names are [a-z0-9_.-] by schema), and the script stays valid', async () => {
    await shSyntaxOk(buildAllocationScript({ workspaceId: 'id-1', name: 'a.b_c-d', plan: FULL_PLAN }));
  });
});

/** Runs a script as its own process group; collects stdout; resolves on process exit (not stdio close). */
function runScript(script: string) {
  const file = join(tmp, `alloc-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(file, script);
  const sub = execa('sh', [file], { reject: false, detached: true, stripFinalNewline: false });
  let out = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  sub.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) {
      if (out.includes(w.text)) w.resolve();
      else waiters.push(w);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    sub.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    sub,
    output: () => out,
    waitFor: (text: string, ms = 20000) =>
      new Promise<void>((resolve, reject) => {
        if (out.includes(text)) return resolve();
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${text}; got: ${out}`)), ms);
        waiters.push({ text, resolve: () => (clearTimeout(t), resolve()) });
      }),
    exited,
    /** Kills what is left of the group (orphaned `sleep`s), then lets execa settle. */
    finish: async () => {
      try {
        if (sub.pid) process.kill(-sub.pid, 'SIGKILL');
      } catch {
        /* group already gone */
      }
      await sub;
    },
  };
}

describe('buildAllocationScript (run for real)', () => {
  it('start → INSTANCE_READY; the sandbox going away → stop runs, INSTANCE_STOPPED, exit 0', async () => {
    const file = join(tmp, 'alive-1');
    writeFileSync(file, '');
    const marker = join(tmp, 'stopped-1');
    const r = runScript(
      buildAllocationScript({
        workspaceId: 'w1',
        name: 'e2e',
        plan: { start: ['true'], alive: { argv: ['test', '-e', file] }, stop: ['touch', marker] },
      }),
    );
    try {
      await r.waitFor(READY_MARKER);
      expect(r.output()).not.toContain(STOPPED_MARKER);
      rmSync(file);
      const { code } = await r.exited;
      expect(code).toBe(0);
      expect(r.output()).toContain(STOPPED_MARKER);
      expect(r.output().split('\n').filter(Boolean)).toEqual([READY_MARKER, STOPPED_MARKER]);
      expect(existsSync(marker)).toBe(true);
    } finally {
      await r.finish();
    }
  });

  it('the brief\'s plan: alive=test -e FILE, stop=rm -f FILE; removing FILE ends the job with INSTANCE_STOPPED', async () => {
    const file = join(tmp, 'alive-2');
    writeFileSync(file, '');
    const r = runScript(
      buildAllocationScript({
        workspaceId: 'w2',
        name: 'e2e',
        plan: { start: ['true'], alive: { argv: ['test', '-e', file] }, stop: ['rm', '-f', file] },
      }),
    );
    try {
      await r.waitFor(READY_MARKER);
      rmSync(file);
      const { code } = await r.exited;
      expect(code).toBe(0);
      expect(r.output()).toContain(STOPPED_MARKER);
    } finally {
      await r.finish();
    }
  });

  it('SIGTERM (scancel) runs the stop command and exits 0 with INSTANCE_STOPPED', async () => {
    const file = join(tmp, 'alive-3');
    writeFileSync(file, '');
    const r = runScript(
      buildAllocationScript({
        workspaceId: 'w3',
        name: 'e2e',
        plan: { start: ['true'], alive: { argv: ['test', '-e', file] }, stop: ['rm', '-f', file] },
      }),
    );
    try {
      await r.waitFor(READY_MARKER);
      expect(existsSync(file)).toBe(true);
      r.sub.kill('SIGTERM');
      const { code, signal } = await r.exited;
      expect(signal).toBeNull();
      expect(code).toBe(0);
      expect(r.output()).toContain(STOPPED_MARKER);
      expect(existsSync(file)).toBe(false);
    } finally {
      await r.finish();
    }
  });

  it('alive with output: keeps going while the output matches, stops when it changes', async () => {
    const file = join(tmp, 'state-4');
    writeFileSync(file, 'running yes');
    const r = runScript(
      buildAllocationScript({
        workspaceId: 'w4',
        name: 'e2e',
        plan: { alive: { argv: ['cat', file], output: 'running yes' } },
      }),
    );
    try {
      await r.waitFor(READY_MARKER);
      // Give the first check time to run with the matching output: the job must still be there.
      await new Promise((res) => setTimeout(res, 1000));
      expect(r.output()).not.toContain(STOPPED_MARKER);
      writeFileSync(file, 'running no');
      const { code } = await r.exited;
      expect(code).toBe(0);
      expect(r.output()).toContain(STOPPED_MARKER);
    } finally {
      await r.finish();
    }
  });

  it('no plan (bwrap): READY, then only SIGTERM ends it', async () => {
    const r = runScript(buildAllocationScript({ workspaceId: 'w5', name: 'e2e', plan: {} }));
    try {
      await r.waitFor(READY_MARKER);
      r.sub.kill('SIGTERM');
      const { code } = await r.exited;
      expect(code).toBe(0);
      expect(r.output().split('\n').filter(Boolean)).toEqual([READY_MARKER, STOPPED_MARKER]);
    } finally {
      await r.finish();
    }
  });

  it('a failing start prints INSTANCE_FAILED and exits 1 (no READY)', async () => {
    const r = runScript(buildAllocationScript({ workspaceId: 'w6', name: 'e2e', plan: { start: ['false'], alive: { argv: ['true'] }, stop: ['true'] } }));
    try {
      const { code } = await r.exited;
      expect(code).toBe(1);
      expect(r.output()).toContain(FAILED_MARKER);
      expect(r.output()).not.toContain(READY_MARKER);
    } finally {
      await r.finish();
    }
  });
});

describe('buildSbatchArgv', () => {
  const opts = { jobName: 'benchtop-hpc', output: '/data/ws/abc/slurm-%j.out', chdir: '/data/ws/abc', script: '/data/ws/abc/alloc.sh' };

  it('every option, exact order, script last', () => {
    expect(buildSbatchArgv({ partition: 'gpu', time: '1-00:00:00', cpus: 8, memMiB: 16384, gres: 'gpu:1' }, opts)).toEqual([
      'sbatch',
      '--parsable',
      '--job-name=benchtop-hpc',
      '--output=/data/ws/abc/slurm-%j.out',
      '--chdir=/data/ws/abc',
      '--partition=gpu',
      '--time=1-00:00:00',
      '--cpus-per-task=8',
      '--mem=16384M',
      '--gres=gpu:1',
      '--export=NONE',
      '/data/ws/abc/alloc.sh',
    ]);
  });

  it('no options', () => {
    expect(buildSbatchArgv({}, opts)).toEqual([
      'sbatch',
      '--parsable',
      '--job-name=benchtop-hpc',
      '--output=/data/ws/abc/slurm-%j.out',
      '--chdir=/data/ws/abc',
      '--export=NONE',
      '/data/ws/abc/alloc.sh',
    ]);
  });

  it('--mem is in MiB with an M suffix; --export=NONE right before the script', () => {
    const a = buildSbatchArgv({ memMiB: 512, cpus: 1 }, opts);
    expect(a).toContain('--mem=512M');
    expect(a).toContain('--cpus-per-task=1');
    expect(a.at(-2)).toBe('--export=NONE');
    expect(a.at(-1)).toBe(opts.script);
  });
});

describe('squeue', () => {
  it('buildSqueueArgv', () => {
    expect(SQUEUE_FORMAT).toBe('%i|%j|%T|%N|%L|%r');
    expect(buildSqueueArgv()).toEqual(['squeue', '--noheader', '--me', '--states=all', '--format=%i|%j|%T|%N|%L|%r']);
  });

  it('parseSqueue on realistic output', () => {
    const text = [
      '12|benchtop-hpc|RUNNING|localhost|9:58|None',
      '',
      '13|benchtop-x|PENDING||10:00|Resources',
      '14|benchtop-y|COMPLETED|(null)|0:00|(null)',
      '15|benchtop-z|CANCELLED|node[01-02]|N/A|None  ',
      '   ',
      'garbage line',
      '|no-id|RUNNING|n|1:00|None',
      '',
    ].join('\n');
    const m = parseSqueue(text);
    expect([...m.keys()]).toEqual(['12', '13', '14', '15']);
    expect(m.get('12')).toEqual({ jobId: '12', name: 'benchtop-hpc', state: 'RUNNING', node: 'localhost', timeLeft: '9:58', reason: null });
    expect(m.get('13')).toEqual({ jobId: '13', name: 'benchtop-x', state: 'PENDING', node: null, timeLeft: '10:00', reason: 'Resources' });
    expect(m.get('14')).toEqual({ jobId: '14', name: 'benchtop-y', state: 'COMPLETED', node: null, timeLeft: '0:00', reason: null });
    expect(m.get('15')).toEqual({ jobId: '15', name: 'benchtop-z', state: 'CANCELLED', node: 'node[01-02]', timeLeft: null, reason: null });
  });

  it('parseSqueue of empty output and CRLF lines', () => {
    expect(parseSqueue('').size).toBe(0);
    expect(parseSqueue('\n\n').size).toBe(0);
    expect(parseSqueue('7|a|RUNNING|n1|1:00|None\r\n').get('7')?.reason).toBeNull();
  });
});

describe('srun prefix', () => {
  it('without pty', () => {
    expect(buildSrunPrefix('12')).toEqual(['env', '--default-signal=SIGCHLD,SIGWINCH,SIGPIPE', 'srun', '--jobid=12', '--overlap', '--unbuffered', '--quiet']);
    expect(buildSrunPrefix('12', { pty: false })).toEqual(buildSrunPrefix('12'));
  });

  it('with pty', () => {
    expect(buildSrunPrefix('12', { pty: true })).toEqual(['env', '--default-signal=SIGCHLD,SIGWINCH,SIGPIPE', 'srun', '--jobid=12', '--overlap', '--pty', '--quiet']);
  });

  const SIGPIPE_BIT = 1n << 12n; // SIGPIPE = 13
  const SIGWINCH_BIT = 1n << 27n; // SIGWINCH = 28
  const sigIgn = (stdout: string): bigint => {
    const m = /SigIgn:\s*([0-9a-f]+)/.exec(stdout);
    expect(m).not.toBeNull();
    return BigInt(`0x${(m as RegExpExecArray)[1]}`);
  };
  const envPrefix = buildSrunPrefix('1').slice(0, 2);
  const probe = ['sh', '-c', 'grep SigIgn /proc/self/status'];

  it('the env prefix runs and leaves SIGPIPE default, spawned straight from Node', async () => {
    expect(envPrefix).toEqual(['env', '--default-signal=SIGCHLD,SIGWINCH,SIGPIPE']);
    const [cmd, ...args] = [...envPrefix, ...probe] as [string, ...string[]];
    const r = await execa(cmd, args);
    expect(sigIgn(r.stdout) & SIGPIPE_BIT).toBe(0n);
    // Note: libuv already resets dispositions for children it spawns, so the bare probe is clear too here;
    // an ignored SIGPIPE reaches srun only through an intermediate that ignores it (e.g. node-pty or a shell trap).
    const bare = await execa(probe[0] as string, probe.slice(1));
    expect(sigIgn(bare.stdout) & SIGPIPE_BIT).toBe(0n);
  });

  it('the env prefix clears an inherited ignored SIGPIPE/SIGWINCH that survives exec without it', async () => {
    const ignoring = "trap '' PIPE WINCH; exec \"$@\"";
    const without = await execa('sh', ['-c', ignoring, 'sh', ...probe]);
    expect(sigIgn(without.stdout) & SIGPIPE_BIT).toBe(SIGPIPE_BIT);
    expect(sigIgn(without.stdout) & SIGWINCH_BIT).toBe(SIGWINCH_BIT);
    const withPrefix = await execa('sh', ['-c', ignoring, 'sh', ...envPrefix, ...probe]);
    expect(sigIgn(withPrefix.stdout) & SIGPIPE_BIT).toBe(0n);
    expect(sigIgn(withPrefix.stdout) & SIGWINCH_BIT).toBe(0n);
  });
});

describe('scancel and time limits', () => {
  it('buildScancelArgv', () => {
    expect(buildScancelArgv('12')).toEqual(['scancel', '12']);
  });

  it('SLURM_TIME_RE accepts the documented forms', () => {
    for (const t of ['00:10:00', '1-00:00:00', '30', '10:00', '8:00:00', '2-12', '0']) expect(SLURM_TIME_RE.test(t)).toBe(true);
  });

  it('SLURM_TIME_RE rejects the rest', () => {
    for (const t of ['abc', '1:2:3:4', '-1', '', '10:0', '1-', '00:10:00 ', '1;reboot', '00:10:00\n']) expect(SLURM_TIME_RE.test(t)).toBe(false);
  });
});

describe('the allocation time under a TTL', () => {
  it('slurmTimeSeconds reads every form sbatch reads', () => {
    const cases: [string, number][] = [
      ['30', 30 * 60],
      ['10:00', 10 * 60],
      ['1:30', 90],
      ['8:00:00', 8 * 3600],
      ['00:10:00', 600],
      ['1-00:00:00', 86400],
      ['2-12', 2 * 86400 + 12 * 3600],
      ['1-02:03', 86400 + 2 * 3600 + 3 * 60],
      ['1-02:03:04', 86400 + 2 * 3600 + 3 * 60 + 4],
      ['0', 0],
    ];
    for (const [t, s] of cases) expect(slurmTimeSeconds(t), t).toBe(s);
    for (const t of ['abc', '', '1:2:3:4', '-1']) expect(slurmTimeSeconds(t), t).toBeNull();
  });

  it('formatSlurmMinutes: HH:MM:SS, D-HH:MM:SS from a day on', () => {
    expect(formatSlurmMinutes(1)).toBe('00:01:00');
    expect(formatSlurmMinutes(61)).toBe('01:01:00');
    expect(formatSlurmMinutes(1440)).toBe('1-00:00:00');
    expect(formatSlurmMinutes(30 * 1440)).toBe('30-00:00:00');
  });

  it('the TTL rounded up to whole minutes, unless the user asked for less', () => {
    expect(allocationTime(undefined, 60)).toEqual({ time: '00:01:00', byTtl: true });
    expect(allocationTime(undefined, 61)).toEqual({ time: '00:02:00', byTtl: true });
    expect(allocationTime(undefined, 3600)).toEqual({ time: '01:00:00', byTtl: true });
    expect(allocationTime(undefined, 30 * 24 * 3600)).toEqual({ time: '30-00:00:00', byTtl: true });
    // A longer --time is cut to the TTL; a shorter (or equal) one is kept as given.
    expect(allocationTime('01:00:00', 120)).toEqual({ time: '00:02:00', byTtl: true });
    expect(allocationTime('00:05:00', 3600)).toEqual({ time: '00:05:00', byTtl: false });
    expect(allocationTime('2', 120)).toEqual({ time: '2', byTtl: false });
    // 0 is "no limit" to SLURM: the TTL applies.
    expect(allocationTime('0', 300)).toEqual({ time: '00:05:00', byTtl: true });
    // No TTL: the user's time as given, or none.
    expect(allocationTime('00:10:00', null)).toEqual({ time: '00:10:00', byTtl: false });
    expect(allocationTime(undefined, undefined)).toEqual({ time: undefined, byTtl: false });
    // Every result is a time sbatch accepts.
    for (const ttl of [60, 61, 119, 3599, 86399, 86400, 86401]) expect(SLURM_TIME_RE.test(allocationTime(undefined, ttl).time!), String(ttl)).toBe(true);
  });
});

describe('SlurmPlacement.endReason', () => {
  const st = (job: { state: string; reason?: string } | null, stopped = false) => ({
    job: job ? { jobId: '7', name: 'benchtop-x', state: job.state, node: 'n1', timeLeft: null, reason: job.reason ?? null } : null,
    ready: true,
    failed: false,
    stopped,
    tail: '',
  });
  it('names the state SLURM ended the job with, never a state it is still running in', () => {
    expect(SlurmPlacement.endReason('7', st({ state: 'CANCELLED', reason: 'None' }))).toBe('SLURM job 7 ended: CANCELLED (None)');
    expect(SlurmPlacement.endReason('7', st({ state: 'TIMEOUT' }))).toBe('SLURM job 7 ended: TIMEOUT');
    // The allocation said its sandbox stopped (scancel's signal) before squeue caught up.
    expect(SlurmPlacement.endReason('7', st({ state: 'RUNNING' }, true))).toBe('SLURM job 7 is ending: its sandbox stopped');
    expect(SlurmPlacement.endReason('7', st(null))).toBe('SLURM job 7 is gone (cancelled or ended outside Benchtop)');
  });
});
