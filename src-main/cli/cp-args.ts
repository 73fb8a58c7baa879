/**
 * `benchtop cp` arguments, as `podman cp` reads them: `NAME:PATH` is a path
 * in the workspace NAME when NAME is an existing workspace; anything else is
 * a local path (write `./a:b` for a local file whose name holds a colon).
 */
import { WORKSPACE_NAME_RE } from '../../src-preload/contract';

export type CopyArg =
  | { kind: 'workspace'; workspace: string; path: string }
  /** `named`: the part before the colon could be a workspace name, but no workspace has it. */
  | { kind: 'local'; path: string; named?: string };

/** The name before the first colon, when it could be a workspace's (to look up before parsing). */
export function candidateName(arg: string): string | null {
  const colon = arg.indexOf(':');
  const name = colon > 0 ? arg.slice(0, colon) : '';
  return WORKSPACE_NAME_RE.test(name) ? name : null;
}

export function parseCopyArg(arg: string, isWorkspace: (name: string) => boolean): CopyArg {
  const colon = arg.indexOf(':');
  if (colon <= 0) return { kind: 'local', path: arg };
  const name = arg.slice(0, colon);
  // An empty path is the workspace's working folder (its project), as `podman cp` takes the container's.
  if (isWorkspace(name)) return { kind: 'workspace', workspace: name, path: arg.slice(colon + 1) || '.' };
  return WORKSPACE_NAME_RE.test(name) ? { kind: 'local', path: arg, named: name } : { kind: 'local', path: arg };
}

export type CopyPlan =
  | { direction: 'in'; local: string; workspace: string; path: string }
  | { direction: 'out'; workspace: string; path: string; local: string };

/** Which way a copy goes, or why it cannot (`unknown`: the workspace named does not exist): exactly one side is a workspace. */
export function planCopy(src: CopyArg, dest: CopyArg): CopyPlan | { error: string; unknown?: string } {
  if (src.kind === 'workspace' && dest.kind === 'workspace') return { error: 'copying from one workspace to another is not supported: copy out, then in' };
  if (src.kind === 'local' && dest.kind === 'workspace') return { direction: 'in', local: src.path, workspace: dest.workspace, path: dest.path };
  if (src.kind === 'workspace' && dest.kind === 'local') return { direction: 'out', workspace: src.workspace, path: src.path, local: dest.path };
  const named = (src.kind === 'local' && src.named) || (dest.kind === 'local' && dest.named);
  if (named) return { error: `no workspace named "${named}" (a local path with a colon is written ./${named}:…)`, unknown: named };
  return { error: 'one of SRC and DEST must be NAME:PATH, a path in a workspace' };
}
