/** Binds every contract method to the workspace service, and service events to contract events. */
import type { WorkspaceService } from '../core/workspaces/service';
import { createRpcServer, type Handlers, type RpcServer } from './server';

export function createHandlers(service: WorkspaceService): Handlers {
  return {
    'backends.list': () => service.backends(),
    'workspaces.list': () => service.list(),
    'workspaces.get': (p) => service.get(p.workspace),
    'workspaces.create': (p, ctx) => service.create(p, ctx.client),
    'workspaces.start': (p, ctx) => service.start(p.workspace, ctx.client),
    'workspaces.stop': (p, ctx) => service.stop(p.workspace, ctx.client),
    'workspaces.remove': (p, ctx) => service.remove(p.workspace, ctx.client),
    'exec.run': (p, ctx) => service.exec(p, ctx.client),
    'journal.list': async (p) => service.journal(service.registry.get(p.workspace)).list(p.afterSeq ?? 0, p.limit ?? 1000),
    'journal.get': async (p) => service.journal(service.registry.get(p.workspace)).get(p.seq),
    'journal.readOutput': async (p) =>
      service.journal(service.registry.get(p.workspace)).readOutput(p.seq, p.stream, p.offset ?? 0, p.length ?? 1024 * 1024),
  };
}

/** A server for this service with its events forwarded to every attached peer. */
export function createServiceRpc(service: WorkspaceService): { server: RpcServer; dispose: () => void } {
  const server = createRpcServer(createHandlers(service));
  const dispose = service.on({
    workspaceChanged: (workspace, removed) => server.emit('workspace.changed', { workspace, removed }),
    journalAppended: (workspaceId, entry) => server.emit('journal.appended', { workspaceId, entry }),
  });
  return { server, dispose };
}
