/**
 * `--gpu` is never silently ignored: on a machine without a GPU (or without
 * a CDI spec for it) podman refuses with what is missing and how to fix it;
 * a backend that cannot give GPUs refuses too; nothing is left behind. Where
 * a GPU and a CDI spec exist, a podman workspace sees it.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecResult, Workspace } from '../../src-preload/contract';
import { gpuUnavailable } from '../../src-main/core/drivers/podman/gpu';
import { cleanup, cli, cliJson, tempDir } from '../helpers/cli';
import { FIXTURE_IMAGE } from '../helpers/fixtures';
import { describeWith } from '../helpers/runtime';

const noGpu = gpuUnavailable();

describeWith('podman', '--gpu', () => {
  let home: string;
  beforeAll(() => {
    home = tempDir('home');
  });
  afterAll(() => cleanup(home));

  it.skipIf(noGpu === null)('podman without a usable GPU refuses, saying what is missing and how to fix it; nothing is created', async () => {
    const r = await cli(['create', 'g', '--backend', 'podman', '--image', FIXTURE_IMAGE, '--gpu'], { home });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`benchtop: --gpu: ${noGpu} [INVALID_INPUT]\n`);
    expect(r.stderr).toContain('nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml');
    expect(await cliJson<Workspace[]>(['ls'], { home })).toEqual([]);
    expect(execFileSync('podman', ['ps', '-a', '--filter', 'name=^benchtop-', '--filter', `label=benchtop.home=${home}`, '--format', '{{.Names}}'], { encoding: 'utf8' })).toBe('');
  });

  it('backends that cannot give a GPU refuse it instead of ignoring it', async () => {
    for (const [backend, extra] of [
      ['bwrap', []],
      ['gvisor', ['--image', FIXTURE_IMAGE]],
    ] as const) {
      const r = await cli(['create', `g-${backend}`, '--backend', backend, ...extra, '--gpu'], { home });
      expect([backend, r.exitCode, r.stderr]).toEqual([backend, 1, expect.stringMatching(/^benchtop: --gpu: .*cannot .*GPU.* \[INVALID_INPUT\]\n$/)]);
    }
    const host = await cli(['create', 'g-host', '--backend', 'host', '--allow-host', '--gpu'], { home });
    expect(host.stderr).toBe('benchtop: --gpu: host cannot give a workspace a GPU (podman with a CDI spec, or apptainer, can) [INVALID_INPUT]\n');
    expect(await cliJson<Workspace[]>(['ls'], { home })).toEqual([]);
  });
});

describe(`a podman workspace with a GPU${noGpu ? ` — skipped: ${noGpu.split(':')[0]}` : ''}`, () => {
  it.skipIf(noGpu !== null)('sees every NVIDIA GPU (nvidia-smi -L)', async () => {
    const home = tempDir('home');
    try {
      await cliJson<Workspace>(['create', 'gpu', '--backend', 'podman', '--image', FIXTURE_IMAGE, '--gpu'], { home });
      const r = await cliJson<ExecResult>(['exec', 'gpu', '--', 'nvidia-smi', '-L'], { home });
      expect(r.stdout).toMatch(/^GPU 0: /);
      await cli(['rm', 'gpu'], { home });
    } finally {
      cleanup(home);
    }
  });
});
