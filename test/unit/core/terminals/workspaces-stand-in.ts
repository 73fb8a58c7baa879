/**
 * The little of WorkspaceService that the terminal service leans on, for its
 * unit tests: one workspace, its secrets, a journal that records what it is
 * told, and a driver whose shell is a host argv run in a real PTY.
 * How a terminal's process is made is in one place, {@link shellLaunch}.
 */
import { join } from 'node:path';
import { BenchtopError, type Workspace } from '../../../../src-preload/contract';
import { hostProcesses, type HostLaunch } from '../../../../src-main/core/process/host-launch';
import { viaArgv, type Carrier, type SpawnRequest } from '../../../../src-main/core/process/types';
import { createExecaRunner } from '../../../../src-main/core/runner/runner';
import type { NewEntry } from '../../../../src-main/core/journal/journal';
import type { KillSpec } from '../../../../src-main/core/watchdog/kill';
import type { WorkspaceService } from '../../../../src-main/core/workspaces/service';

export interface Begun {
  entry: NewEntry;
  runningId: string;
  kill: KillSpec;
  seq: number;
}

export interface Ended {
  seq: number;
  runningId: string;
  patch: Record<string, unknown>;
}

/** What `srun --pty` is stood in by: a prefix that runs the rest as is, and says `--pty` as srun's does. */
export const SLURM_PTY_PREFIX = ['sh', '-c', 'exec "$@"', '--pty'];

/** The terminal's process: a host argv with the secret environment, as a host driver gives it (carried as asked). */
function shellLaunch(argv: string[], req: SpawnRequest): HostLaunch {
  return {
    argv: [...viaArgv(req), ...argv],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', ...req.secretEnv },
    extendEnv: false,
  };
}

const killSpec = (_ws: Workspace, id: string): KillSpec => ({ kind: 'env', marker: `BENCHTOP_TEST_TERMINAL=${id}` });

export class WorkspacesStandIn {
  /** The next terminal's shell (its argv). */
  argv: string[] = ['sh'];
  readonly begun: Begun[] = [];
  readonly ended: Ended[] = [];
  readonly ws: Workspace;

  constructor(
    private readonly home: string,
    ws: Workspace,
    private readonly secretEnv: Record<string, string> = {},
  ) {
    this.ws = ws;
  }

  /** Typed as the real thing: TerminalService takes a WorkspaceService. */
  asService(): WorkspaceService {
    const ws = () => this.ws;
    return {
      registry: {
        get: (ref: string) => {
          if (ref === this.ws.id || ref === this.ws.name) return ws();
          throw new BenchtopError('NOT_FOUND', `no workspace named "${ref}"`);
        },
        dir: (id: string) => join(this.home, 'workspaces', id),
      },
      secrets: {
        get: async () => ({ ...this.secretEnv }),
        allValues: async () => Object.values(this.secretEnv),
      },
      driver: () => ({
        ...hostProcesses(createExecaRunner(), { launch: (_ws, req) => shellLaunch(this.argv, req), killSpec }),
        defaultCwd: () => '/tmp',
      }),
      carrier: (w: Workspace): Carrier | undefined => (w.placement.kind === 'slurm' ? { pipes: SLURM_PTY_PREFIX.slice(0, 3), tty: SLURM_PTY_PREFIX } : undefined),
      beginRunning: async (_ws: Workspace, entry: NewEntry, runningId: string, kill: KillSpec) => {
        const seq = this.begun.length + 1;
        this.begun.push({ entry, runningId, kill, seq });
        return { ...entry, seq };
      },
      endRunning: async (_ws: Workspace, seq: number, runningId: string, patch: Record<string, unknown>) => {
        this.ended.push({ seq, runningId, patch });
        return { seq, ...patch };
      },
    } as unknown as WorkspaceService;
  }
}
