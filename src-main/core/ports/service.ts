/**
 * Published ports of workspaces: validating them, publishing them when a
 * workspace runs (and again when it starts, or when its forwarder is found
 * gone), and ending them when it stops. The record (`ws.ports`) says what is
 * published; the forwarders' state files say what listens right now.
 */
import { createServer } from 'node:net';
import {
  BenchtopError,
  duplicatePort,
  formatPort,
  type PortRequest,
  type PortStatus,
  type PublishedPort,
  type Workspace,
} from '../../../src-preload/contract';
import type { Driver } from '../drivers/types';
import { ForwarderStarting, startForwarder, stopAllForwarders, stopForwarder } from './forwards';
import { liveForwarder } from './state';

export interface PortDeps {
  driver(ws: Workspace): Driver;
  dir(ws: Workspace): string;
  /** Read-modify-write of the record under its lock (null from `mutate`: no change). */
  update(id: string, mutate: (ws: Workspace) => Workspace | null): Promise<Workspace | null>;
  now(): number;
}

/** A port whose forwarder could not be started is tried again after this long (reconciliation runs every few seconds). */
const RETRY_MS = 30_000;

export class PortService {
  /** Why a port is not listening, by `workspaceId:port`, with when it was last tried. */
  private readonly failures = new Map<string, { reason: string; at: number }>();

  constructor(private readonly deps: PortDeps) {}

  /** What a create asks for, checked before anything is made: one line for the first thing wrong. */
  async checkRequest(ws: Pick<Workspace, 'backend' | 'placement'>, driver: Driver, requests: readonly PortRequest[]): Promise<void> {
    if (requests.length === 0) return;
    this.checkBackend(ws, driver, 'ports');
    const dup = duplicatePort(requests);
    if (dup) throw new BenchtopError('INVALID_INPUT', `ports: ${dup}`, { field: 'ports' });
    for (const r of requests) if (r.hostPort !== undefined) await checkHostPortFree(r.hostPort);
  }

  /** `field`: the create input's `ports`, or `port` of ports.add. */
  private checkBackend(ws: Pick<Workspace, 'backend' | 'placement'>, driver: Driver, field: 'ports' | 'port'): void {
    if (!driver.descriptor.supports.ports || !driver.portRelay) {
      throw new BenchtopError('INVALID_INPUT', `ports: ${ws.backend} workspaces cannot publish ports (${driver.descriptor.portsNote})`, { field });
    }
    if (ws.placement.kind === 'slurm') {
      throw new BenchtopError('INVALID_INPUT', 'ports: a workspace placed in SLURM runs on a compute node; its ports cannot be published on this machine', { field });
    }
  }

  list(ws: Workspace): PortStatus[] {
    return ws.ports.map((p) => this.status(ws, p));
  }

  private status(ws: Workspace, p: PublishedPort): PortStatus {
    const live = ws.state === 'running' ? liveForwarder(this.deps.dir(ws), p.port) : null;
    if (live) return { port: p.port, hostPort: live.hostPort, listening: true, url: `http://127.0.0.1:${live.hostPort}/`, reason: null };
    const failed = this.failures.get(`${ws.id}:${p.port}`);
    const reason = ws.state !== 'running' ? `published when the workspace runs (it is ${ws.state})` : (failed?.reason ?? 'its forwarder is not running');
    return { ...p, listening: false, url: null, reason };
  }

  /** Publishes one more port: at once when the workspace runs, else when it starts. */
  async add(ws: Workspace, req: PortRequest): Promise<PortStatus> {
    const driver = this.deps.driver(ws);
    this.checkBackend(ws, driver, 'port');
    const dup = duplicatePort([...ws.ports, req]);
    if (dup) throw new BenchtopError('CONFLICT', `ports: ${dup} (published: ${ws.ports.map(formatPort).join(', ')})`, { field: 'port' });
    if (ws.state === 'starting' || ws.state === 'stopping') throw new BenchtopError('CONFLICT', `workspace "${ws.name}" is ${ws.state}: try again in a moment`);
    let entry: PublishedPort = { port: req.port, hostPort: req.hostPort ?? null };
    if (ws.state === 'running') {
      const hostPort = await this.publish(ws, driver, req.port, req.hostPort ?? 0);
      entry = { port: req.port, hostPort };
    } else if (req.hostPort !== undefined) await checkHostPortFree(req.hostPort);
    let raced: string | null = null;
    const next = await this.deps.update(ws.id, (w) => {
      raced = duplicatePort([...w.ports, entry]);
      return raced ? null : { ...w, ports: [...w.ports, entry] };
    });
    if (raced || !next) {
      if (ws.state === 'running') await stopForwarder(this.deps.dir(ws), req.port);
      throw new BenchtopError('CONFLICT', `ports: ${raced ?? `workspace "${ws.name}" was removed meanwhile`}`, { field: 'port' });
    }
    return this.status(next, entry);
  }

  /** Stops publishing the port inside (only from that host port, when one is given). */
  async remove(ws: Workspace, req: PortRequest): Promise<PortStatus[]> {
    const found = ws.ports.find((p) => p.port === req.port && (req.hostPort === undefined || p.hostPort === req.hostPort));
    if (!found) {
      const what = req.hostPort === undefined ? `port ${req.port}` : `${req.hostPort}:${req.port}`;
      throw new BenchtopError('NOT_FOUND', `ports: ${what} is not published by "${ws.name}" (published: ${ws.ports.map(formatPort).join(', ') || 'none'})`, { field: 'port' });
    }
    await stopForwarder(this.deps.dir(ws), found.port);
    this.failures.delete(`${ws.id}:${found.port}`);
    const next = await this.deps.update(ws.id, (w) => ({ ...w, ports: w.ports.filter((p) => p.port !== found.port) }));
    return this.list(next ?? { ...ws, ports: ws.ports.filter((p) => p !== found) });
  }

  /**
   * Publishes every recorded port whose forwarder is not running (a workspace
   * that just started or was adopted, or a forwarder that was killed). A port
   * that failed is tried again after RETRY_MS. Returns one line per port that failed now.
   */
  async ensure(ws: Workspace, opts: { retryNow?: boolean } = {}): Promise<string[]> {
    if (ws.state !== 'running' || ws.ports.length === 0) return [];
    const driver = this.deps.driver(ws);
    if (!driver.descriptor.supports.ports || !driver.portRelay || ws.placement.kind === 'slurm') return [];
    const failed: string[] = [];
    const picked: PublishedPort[] = [];
    for (const p of ws.ports) {
      if (liveForwarder(this.deps.dir(ws), p.port)) continue;
      const key = `${ws.id}:${p.port}`;
      const last = this.failures.get(key);
      if (!opts.retryNow && last && this.deps.now() - last.at < RETRY_MS) continue;
      try {
        const hostPort = await this.publish(ws, driver, p.port, p.hostPort ?? 0);
        if (p.hostPort === null) picked.push({ port: p.port, hostPort });
      } catch (err) {
        if (err instanceof ForwarderStarting) continue; // Someone else publishes it right now.
        const reason = err instanceof Error ? err.message.replace(/^ports: /, '') : String(err);
        failed.push(`${formatPort(p)}: ${reason}`);
      }
    }
    // A host port picked now is kept: the port stays where it was found.
    if (picked.length) {
      await this.deps.update(ws.id, (w) => ({ ...w, ports: w.ports.map((p) => picked.find((q) => q.port === p.port) ?? p) }));
    }
    return failed;
  }

  /** Ends every forwarder of the workspace (it stops, is deleted, or its sandbox died). */
  async close(ws: Workspace): Promise<void> {
    for (const p of ws.ports) this.failures.delete(`${ws.id}:${p.port}`);
    await stopAllForwarders(this.deps.dir(ws));
  }

  private async publish(ws: Workspace, driver: Driver, port: number, hostPort: number): Promise<number> {
    const key = `${ws.id}:${port}`;
    try {
      const relay = await driver.portRelay!(ws, port);
      const got = await startForwarder(this.deps.dir(ws), port, hostPort, relay);
      this.failures.delete(key);
      return got;
    } catch (err) {
      if (err instanceof ForwarderStarting) throw err;
      this.failures.set(key, { reason: err instanceof Error ? err.message.replace(/^ports: /, '') : String(err), at: this.deps.now() });
      throw err;
    }
  }
}

/** A host port is free when we can listen on it (on 127.0.0.1, as a forwarder would) this moment. */
export function checkHostPortFree(hostPort: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new BenchtopError('CONFLICT', `ports: host port ${hostPort} is in use on 127.0.0.1`, { field: 'hostPort' }));
      else if (err.code === 'EACCES') reject(new BenchtopError('INVALID_INPUT', `ports: host port ${hostPort} needs privileges here (pick one above 1023)`, { field: 'hostPort' }));
      else reject(new BenchtopError('INVALID_INPUT', `ports: host port ${hostPort}: ${err.message}`, { field: 'hostPort' }));
    });
    probe.listen(hostPort, '127.0.0.1', () => probe.close(() => resolve()));
  });
}
