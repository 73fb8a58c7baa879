import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient, type BenchtopClient } from '../../src-preload/client';
import { BenchtopError, type Workspace } from '../../src-preload/contract';
import { createMemoryTransportPair } from '../../src-preload/transports/memory';
import { createRpcServer, type Handlers, type RpcServer } from '../../src-main/rpc/server';

function workspace(over: Partial<Workspace> = {}): Workspace {
  return {
    id: 'abc123def456',
    name: 'dev',
    backend: 'podman',
    state: 'running',
    reason: null,
    image: 'alpine',
    imageKind: 'image',
    project: '/p',
    limits: { execTimeoutSec: 300 },
    unenforcedLimits: [],
    network: 'none',
    isolation: 'container',
    env: {},
    secretKeys: [],
    ttlSec: null,
    expiresAt: null,
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
    startedAt: null,
    stoppedAt: null,
    placement: { kind: 'local' }, slurm: null, disk: null, mounts: [], devRepos: [], gpu: false, apptainer: {}, ports: [],
    runtime: {},
    ...over,
  };
}

/** Catches the rejection of a call as a BenchtopError. */
async function failure(p: Promise<unknown>): Promise<BenchtopError> {
  try {
    await p;
  } catch (err) {
    return err as BenchtopError;
  }
  throw new Error('expected the call to fail');
}

let server: RpcServer;
let client: BenchtopClient;
let detach: () => void;
let handlers: Record<string, ReturnType<typeof vi.fn>>;

beforeEach(() => {
  handlers = {
    'workspaces.create': vi.fn(async (p: { name: string }) => workspace({ name: p.name })),
    'workspaces.get': vi.fn(async () => {
      throw new BenchtopError('NOT_FOUND', 'no workspace named "nope"', { workspace: 'nope' });
    }),
    'workspaces.list': vi.fn(async () => {
      throw new Error('kaboom');
    }),
    'exec.run': vi.fn(async () => ({ seq: 1, exitCode: 0, stdout: '', stderr: '', durationMs: 1, timedOut: false, stdoutTruncated: false, stderrTruncated: false })),
    'journal.get': vi.fn(async () => {
      throw new Error('should not be reached');
    }),
    'backends.list': vi.fn(async () => []),
  };
  server = createRpcServer(handlers as unknown as Handlers);
  const [a, b] = createMemoryTransportPair();
  detach = server.attach(a, { client: 'test' });
  client = createClient(b);
});

afterEach(() => {
  detach();
  client.dispose();
});

describe('rpc over the memory transport', () => {
  it('a valid call reaches the handler with parsed params and the context', async () => {
    const ws = await client.call('workspaces.create', { name: 'good-name', backend: 'podman' });
    expect(ws.name).toBe('good-name');
    expect(handlers['workspaces.create']).toHaveBeenCalledTimes(1);
    expect(handlers['workspaces.create']?.mock.calls[0]?.[1]).toMatchObject({ client: 'test' });
  });

  it('an invalid name is INVALID_INPUT naming the field, and the handler is not called', async () => {
    const err = await failure(client.call('workspaces.create', { name: 'Bad Name!', backend: 'podman' }));
    expect(err).toBeInstanceOf(BenchtopError);
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message.startsWith('name:')).toBe(true);
    expect(err.details).toEqual({ field: 'name' });
    expect(handlers['workspaces.create']).not.toHaveBeenCalled();
  });

  it('extra unknown fields in create are rejected (strict)', async () => {
    const err = await failure(
      client.call('workspaces.create', { name: 'ok', backend: 'podman', bogus: 1 } as unknown as { name: string; backend: 'podman' }),
    );
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toContain('bogus');
    expect(handlers['workspaces.create']).not.toHaveBeenCalled();
  });

  it('exec.run with both argv and shell is INVALID_INPUT', async () => {
    const err = await failure(client.call('exec.run', { workspace: 'dev', argv: ['ls'], shell: 'ls' }));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toMatch(/^argv: .*exactly one of argv or shell/);
    const none = await failure(client.call('exec.run', { workspace: 'dev' }));
    expect(none.code).toBe('INVALID_INPUT');
    expect(handlers['exec.run']).not.toHaveBeenCalled();
    await expect(client.call('exec.run', { workspace: 'dev', shell: 'ls' })).resolves.toMatchObject({ exitCode: 0 });
  });

  it('journal.get with seq 0 names seq', async () => {
    const err = await failure(client.call('journal.get', { workspace: 'dev', seq: 0 }));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message.startsWith('seq:')).toBe(true);
    expect(handlers['journal.get']).not.toHaveBeenCalled();
  });

  it('an unknown method is INVALID_INPUT naming "method"', async () => {
    const err = await failure(client.call('nope.nothing' as 'backends.list', {}));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toMatch(/^method: /);
    expect(err.message).toContain('nope.nothing');
    expect(err.details).toEqual({ field: 'method' });
  });

  it('prototype keys are not methods', async () => {
    const err = await failure(client.call('toString' as 'backends.list', {}));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toMatch(/^method: /);
  });

  it('a BenchtopError from a handler arrives with its code, message and details', async () => {
    const err = await failure(client.call('workspaces.get', { workspace: 'nope' }));
    expect(err).toBeInstanceOf(BenchtopError);
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toBe('no workspace named "nope"');
    expect(err.details).toEqual({ workspace: 'nope' });
  });

  it('a plain Error from a handler arrives as INTERNAL and the server keeps serving', async () => {
    const err = await failure(client.call('workspaces.list', {}));
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toBe('kaboom');
    await expect(client.call('backends.list', {})).resolves.toEqual([]);
  });

  it('events emitted by the server reach client.on handlers, until unsubscribed', async () => {
    const got: unknown[] = [];
    const off = client.on('workspace.changed', (p) => got.push(p));
    const ws = workspace({ state: 'stopped' });
    server.emit('workspace.changed', { workspace: ws, removed: false });
    await new Promise((r) => setTimeout(r, 0));
    expect(got).toEqual([{ workspace: ws, removed: false }]);
    off();
    server.emit('workspace.changed', { workspace: ws, removed: true });
    await new Promise((r) => setTimeout(r, 0));
    expect(got).toHaveLength(1);
  });

  it('emit refuses a payload that does not match the event schema', () => {
    expect(() =>
      server.emit('workspace.changed', { workspace: { id: 'x' } as unknown as Workspace, removed: false }),
    ).toThrow();
  });

  it('a detached peer no longer gets events', async () => {
    const got: unknown[] = [];
    client.on('workspace.changed', (p) => got.push(p));
    detach();
    server.emit('workspace.changed', { workspace: workspace(), removed: false });
    await new Promise((r) => setTimeout(r, 0));
    expect(got).toEqual([]);
  });

  it('dispose rejects pending calls', async () => {
    let release!: () => void;
    handlers['backends.list']?.mockImplementationOnce(() => new Promise((r) => (release = () => r([]))));
    const p = client.call('backends.list', {});
    client.dispose();
    const err = await failure(p);
    expect(err.code).toBe('INTERNAL');
    release?.();
  });
});
