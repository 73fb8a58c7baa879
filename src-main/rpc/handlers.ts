/** Binds every contract method to the workspace service, and service events to contract events. */
import { readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { BenchtopError } from '../../src-preload/contract';
import { readReadme } from '../core/host/readme';
import { listFolders } from '../core/host/folders';
import type { TerminalService } from '../core/terminals/service';
import type { WorkspaceService } from '../core/workspaces/service';
import { createRpcServer, type Handlers, type RpcServer } from './server';

export function createHandlers(service: WorkspaceService, terminals: TerminalService): Handlers {
  return {
    'backends.list': () => service.backends(),
    'workspaces.list': () => service.list(),
    'workspaces.get': (p) => service.get(p.workspace),
    'workspaces.create': (p, ctx) => service.create(p, ctx.client),
    'workspaces.start': (p, ctx) => service.start(p.workspace, ctx.client),
    'workspaces.stop': (p, ctx) => service.stop(p.workspace, ctx.client),
    'workspaces.remove': (p, ctx) => service.remove(p.workspace, ctx.client),
    'exec.run': (p, ctx) =>
      service.exec(p, ctx.client, {
        ...(p.stream && p.execId && ctx.notify
          ? { onOutput: (stream, chunk) => ctx.notify?.('exec.output', { execId: p.execId as string, stream, data: chunk.toString('base64') }) }
          : {}),
      }),
    'exec.input': async (p) => (await service.execInput(p.execId, p.data ? Buffer.from(p.data, 'base64') : null, p.eof === true), {}),
    'exec.cancel': async (p) => (service.execCancel(p.execId), {}),
    'files.upload': (p, ctx) => service.upload(p, ctx.client),
    'files.uploadChunk': async (p) => (await service.uploadChunk(p.transferId, p.data ? Buffer.from(p.data, 'base64') : null, p.eof === true, p.abort), {}),
    'files.download': (p, ctx) => service.download(p, ctx.client, (chunk) => ctx.notify?.('files.data', { transferId: p.transferId, data: chunk.toString('base64') })),
    'files.list': (p) => service.listFiles(p.workspace, p.path),
    'journal.list': async (p) => service.journal(service.registry.get(p.workspace)).list(p.afterSeq ?? 0, p.limit ?? 1000),
    'journal.get': async (p) => service.journal(service.registry.get(p.workspace)).get(p.seq, p.outputs ?? true),
    'journal.readOutput': async (p) =>
      service.journal(service.registry.get(p.workspace)).readOutput(p.seq, p.stream, p.offset ?? 0, p.length ?? 1024 * 1024, p.encoding ?? 'utf8'),
    'journal.readRecording': async (p) => {
      const ws = service.registry.get(p.workspace);
      const entry = service.journal(ws).get(p.seq);
      const rel = entry.recording ? normalize(entry.recording) : null;
      if (!rel || rel.startsWith('..') || rel.startsWith('/')) throw new BenchtopError('NOT_FOUND', `journal entry ${p.seq} has no recording`, { seq: p.seq });
      try {
        return { cast: readFileSync(join(service.registry.dir(ws.id), rel), 'utf8') };
      } catch {
        throw new BenchtopError('NOT_FOUND', `the recording of journal entry ${p.seq} is missing`, { seq: p.seq });
      }
    },
    'terminals.open': (p, ctx) => terminals.open(p.workspace, { cols: p.cols, rows: p.rows, title: p.title, client: ctx.client, ...(p.user ? { user: p.user } : {}) }),
    'terminals.list': async (p) => terminals.list(p.workspace),
    'terminals.attach': async (p) => terminals.attach(p.id),
    'terminals.write': async (p) => (terminals.write(p.id, p.data), {}),
    'terminals.resize': async (p) => (terminals.resize(p.id, p.cols, p.rows), {}),
    'terminals.ack': async (p) => (terminals.ack(p.id, p.chars), {}),
    'terminals.rename': async (p) => terminals.rename(p.id, p.title),
    'terminals.busy': async (p) => terminals.busy(p.id),
    'terminals.close': async (p, ctx) => (await terminals.close(p.id, `closed by ${ctx.client}`), {}),
    'help.readme': async () => ({ markdown: readReadme() }),
    'journal.search': async (p) => service.journal(service.registry.get(p.workspace)).search(p),
    'images.list': (p) => service.images.list(p.backend),
    'images.pull': (p, ctx) =>
      service.images.pull(p.backend, p.ref, (line) => {
        if (p.pullId) ctx.notify?.('image.pullProgress', { pullId: p.pullId, line });
      }),
    'vmImages.build': (p, ctx) =>
      service.vmImages.build({ name: p.name, from: p.from, sizeMiB: p.sizeMiB, kernel: p.kernel, modules: p.modules }, (line) => {
        if (p.buildId) ctx.notify?.('vmImage.buildProgress', { buildId: p.buildId, line });
      }),
    'vmImages.list': async () => ({ images: service.vmImages.list() }),
    'vmImages.remove': async (p) => ({
      removed: await service.vmImages.remove(p.ref, () => service.registry.list().map((ws) => ({ workspace: ws.name, image: ws.image }))),
    }),
    'host.listFolders': async (p) => listFolders(p.path, { dataHome: service.options.home, hidden: p.hidden }),
    // The desktop app replaces this with its native dialog (see electron/main.ts).
    'host.pickFolder': async () => {
      throw new BenchtopError('BACKEND_UNAVAILABLE', 'the native folder dialog exists only in the desktop app; browse the host with host.listFolders');
    },
    'workspaces.console': (p) => service.console(p.workspace, p.tailBytes ?? 256 * 1024),
    'ports.list': (p) => service.listPorts(p.workspace),
    'ports.add': (p, ctx) => service.addPort(p.workspace, { port: p.port, ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}) }, ctx.client),
    'ports.remove': (p, ctx) => service.removePort(p.workspace, { port: p.port, ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}) }, ctx.client),
    'slurm.partitions': async () => ({ partitions: await service.slurm.partitions() }),
  };
}

/** A server for this service with its events forwarded to every attached peer. */
export function createServiceRpc(
  service: WorkspaceService,
  terminals: TerminalService,
  /** Methods a host implements its own way (the desktop app's native dialogs). */
  overrides: Partial<Handlers> = {},
): { server: RpcServer; dispose: () => void } {
  const server = createRpcServer({ ...createHandlers(service, terminals), ...overrides } as Handlers);
  const offService = service.on({
    workspaceChanged: (workspace, removed) => server.emit('workspace.changed', { workspace, removed }),
    journalAppended: (workspaceId, entry) => server.emit('journal.appended', { workspaceId, entry }),
  });
  const offTerminals = terminals.on({
    data: (id, data) => server.emit('terminal.data', { id, data }),
    changed: (terminal, closed) => server.emit('terminal.changed', { terminal, closed }),
  });
  return {
    server,
    dispose: () => {
      offService();
      offTerminals();
    },
  };
}
