/**
 * The little of WorkspaceService that the terminal service leans on, for its
 * unit tests: one workspace, its secrets, a journal that records what it is
 * told, and a driver whose shell is a host argv run in a real PTY.
 * How a terminal's process is made is in one place, {@link shellSource}.
 */
import { join } from 'node:path';
import { BenchtopError, type Workspace } from '../../../../src-preload/contract';
import type { TerminalSource } from '../../../../src-main/core/drivers/types';
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

/** The terminal's process: a host argv with the secret environment, as a host driver gives it. */
function shellSource(argv: string[], secretEnv: Record<string, string>): TerminalSource {
  return { kind: 'argv', argv, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', ...secretEnv } };
}

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
        shellCommand: (_ws: Workspace, opts: { secretEnv: Record<string, string> }) => shellSource(this.argv, opts.secretEnv),
        killSpec: (_ws: Workspace, id: string): KillSpec => ({ kind: 'env', marker: `BENCHTOP_TEST_TERMINAL=${id}` }),
        defaultCwd: () => '/tmp',
      }),
      slurm: { prefix: (_ws: Workspace, pty?: boolean) => (pty ? SLURM_PTY_PREFIX : SLURM_PTY_PREFIX.slice(0, 3)) },
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
