/**
 * The data folder's layout (versioned). One folder per workspace holds its
 * record, its journal, its outputs, its home and (by default) its files.
 *
 *   <home>/layout.json                  {"layoutVersion": 1}
 *   <home>/registry.lock                cross-process lock for create/remove
 *   <home>/locks/<id>                   cross-process lock of one workspace's record
 *   <home>/secrets/secrets.json         0600, the only place secret values live
 *   <home>/workspaces/<id>/workspace.json
 *   <home>/workspaces/<id>/journal.jsonl, journal.seq, outputs/<seq>.stdout|stderr
 *   <home>/workspaces/<id>/home/        persistent home (bwrap)
 *   <home>/workspaces/<id>/files/       the project folder when none is given
 *   <home>/workspaces/<id>/ports/<port>.json  the forwarder publishing that port (see core/ports/)
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const LAYOUT_VERSION = 1;

export function defaultDataHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BENCHTOP_HOME) return resolve(env.BENCHTOP_HOME);
  const xdg = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return join(xdg, 'benchtop');
}

export const paths = {
  layoutFile: (home: string) => join(home, 'layout.json'),
  registryLock: (home: string) => join(home, 'registry.lock'),
  locksDir: (home: string) => join(home, 'locks'),
  workspaceLock: (home: string, id: string) => join(home, 'locks', id),
  workspacesDir: (home: string) => join(home, 'workspaces'),
  workspaceDir: (home: string, id: string) => join(home, 'workspaces', id),
  record: (dir: string) => join(dir, 'workspace.json'),
  journal: (dir: string) => join(dir, 'journal.jsonl'),
  journalSeq: (dir: string) => join(dir, 'journal.seq'),
  outputs: (dir: string) => join(dir, 'outputs'),
  files: (dir: string) => join(dir, 'files'),
  portsDir: (dir: string) => join(dir, 'ports'),
};
