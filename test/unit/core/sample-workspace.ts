/** A valid workspace record for unit tests of the store and the terminal service (checked against the schema). */
import { workspaceSchema, type Workspace } from '../../../src-preload/contract';

export function sampleWorkspace(over: Partial<Workspace> & { id: string; name: string }): Workspace {
  return workspaceSchema.parse({
    backend: 'host',
    state: 'running',
    reason: null,
    image: null,
    imageKind: 'system',
    project: '/tmp',
    limits: { execTimeoutSec: 300 },
    unenforcedLimits: [],
    network: 'full',
    isolation: 'none',
    env: {},
    secretKeys: [],
    ttlSec: null,
    expiresAt: null,
    createdAt: '2026-11-27T10:00:00.000Z',
    updatedAt: '2026-11-27T10:00:00.000Z',
    startedAt: null,
    stoppedAt: null,
    placement: { kind: 'local' },
    runtime: {},
    ...over,
  });
}
