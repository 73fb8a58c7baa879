/**
 * The one way core runs a command, on real processes: output kept up to its
 * cap and counted beyond it (a UTF-8 character never split at a chunk edge),
 * a timeout that kills and says 124, a program that cannot start said as 127
 * with the reason, exit by signal as 128+n, fd 3 data, stdin only when asked,
 * and a process-group kill that takes the children too.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createExecaRunner, exitCodeOf, runWithInput } from '../../../../src-main/core/runner/runner';

const runner = createExecaRunner();

describe('runner.run', () => {
  it('keeps output up to the cap, counts the rest, and never splits a character kept whole', async () => {
    const r = await runner.run(['sh', '-c', 'printf "é%.0s" $(seq 1 100); printf err >&2'], { maxOutputBytes: 11 });
    expect(r.stdoutBytes).toBe(200);
    expect(r.stdoutTruncated).toBe(true);
    // 11 bytes hold five é (10 bytes) and half of the sixth: the half is dropped when decoded, never shown as é.
    expect(r.stdout.startsWith('ééééé')).toBe(true);
    expect([r.stderr, r.stderrTruncated, r.exitCode, r.timedOut]).toEqual(['err', false, 0, false]);
  });

  it('times out with 124 and kills the command', async () => {
    const started = Date.now();
    const r = await runner.run(['sleep', '7.31'], { timeoutMs: 300 });
    expect([r.exitCode, r.timedOut]).toEqual([124, true]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('says 127, with the reason, for a program that cannot start; 128+n for a signal', async () => {
    const r = await runner.run(['/nonexistent/benchtop-no-such-program']);
    expect(r.exitCode).toBe(127);
    expect(r.spawnError).toMatch(/ENOENT|not found|no such file/i);
    const killed = await runner.run(['sh', '-c', 'kill -TERM $$']);
    expect(killed.exitCode).toBe(143);
    expect(exitCodeOf({ code: null, signal: 'SIGKILL' })).toBe(137);
  });

  it('hands fd-3 data to the child and gives it an empty stdin unless asked', async () => {
    const fd3 = await runner.run(['sh', '-c', 'cat <&3'], { fd3: new TextEncoder().encode('from fd 3') });
    expect(fd3.stdout).toBe('from fd 3');
    const noStdin = await runner.run(['sh', '-c', 'cat; echo done']);
    expect(noStdin.stdout).toBe('done\n');
  });
});

describe('runner.start', () => {
  it('streams chunks as they come, takes stdin when asked, and reports the exit', async () => {
    const chunks: string[] = [];
    const started = runner.start(['sh', '-c', 'read line; echo "got $line"; echo bye >&2'], {
      stdin: true,
      onStdout: (c) => chunks.push(`out:${c.toString()}`),
      onStderr: (c) => chunks.push(`err:${c.toString()}`),
    });
    started.stdin?.end('hello\n');
    const exit = await started.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(chunks.sort()).toEqual(['err:bye\n', 'out:got hello\n']);
  });

  it('with killProcessGroup, kill takes the whole group (a background child too)', async () => {
    const marker = `/tmp/benchtop-runner-group-${process.pid}`;
    let out = '';
    const started = runner.start(['sh', '-c', `(sleep 0.8; touch ${marker}) & echo started; wait`], {
      killProcessGroup: true,
      onStdout: (c) => (out += c.toString()),
      onStderr: () => undefined,
    });
    while (!out.includes('started')) await new Promise((r) => setTimeout(r, 20));
    started.kill();
    const exit = await started.exited;
    expect(exit.signal).toBe('SIGKILL');
    await new Promise((r) => setTimeout(r, 1200));
    // The background child died with its group: it never touched the file.
    expect(existsSync(marker)).toBe(false);
  });
});

describe('runWithInput', () => {
  it('feeds stdin and returns the whole output', async () => {
    expect(await runWithInput(['sh', '-c', 'tr a-z A-Z'], { input: 'secret-ish' })).toEqual({ exitCode: 0, stdout: 'SECRET-ISH', stderr: '' });
    expect((await runWithInput(['/nonexistent/x'])).exitCode).toBe(127);
  });
});
