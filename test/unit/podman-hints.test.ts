import { describe, expect, it } from 'vitest';
import { podmanHint } from '../../src-main/core/drivers/podman/hints';

const GPU = /CDI spec/;

describe('podmanHint: GPU', () => {
  // Wording from podman, the CDI library, nvidia-container-toolkit and docker, as reported upstream.
  it.each([
    'Error: setting up CDI devices: unresolvable CDI devices nvidia.com/gpu=all',
    'Error: error setting up CDI devices: unresolvable CDI devices nvidia.com/gpu=0',
    'Error: setting up CDI devices: failed to inject devices: failed to stat CDI host device "/dev/dri/renderD129": no such file or directory',
    'failed to create task: error injecting CDI devices: unresolvable CDI devices nvidia.com/gpu=all',
    'Error: OCI runtime error: error executing hook `/usr/bin/nvidia-container-runtime-hook` (exit code: 1)',
    'Error: OCI runtime error: crun: {"msg":"error executing hook `/usr/bin/nvidia-cdi-hook` (exit code: 1)","level":"error"}',
    'error running hook #0: error running hook: exit status 1, stdout: , stderr: nvidia-container-cli: initialization error: load library failed: libnvidia-ml.so.1: cannot open shared object file',
    'could not select device driver "nvidia" with capabilities: [[gpu]]',
    'could not select device driver "" with capabilities: [[gpu]]',
  ])('%s', (stderr) => {
    expect(podmanHint(stderr)).toMatch(GPU);
  });

  it('says podman is too old when it takes a CDI name for a path', () => {
    expect(podmanHint('Error: stat nvidia.com/gpu=0: no such file or directory')).toMatch(/4\.1/);
  });

  it.each([
    'Error: statfs /home/cdi-lab/project: no such file or directory',
    'Error: initializing source docker://nvidia/cuda:12.4.1-base-ubuntu22.04: reading manifest 12.4.1-base-ubuntu22.04 in docker.io/nvidia/cuda: manifest unknown',
    'Error: nvcr.io/nvidia/pytorch:24.01-py3: image not known',
    'Error: creating container storage: the container name "cdi-test" is already in use',
    'Error: no such image',
  ])('stays quiet on an unrelated error: %s', (stderr) => {
    expect(podmanHint(stderr)).toBeNull();
  });
});
