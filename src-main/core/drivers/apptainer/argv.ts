/**
 * Pure argv builders for Apptainer (Singularity), following what the scitex
 * command builder does for researchers' sessions: a contained, clean-env
 * session with a writable tmpfs, the user's home and project bound in, dev
 * repos read-only with a src-layout PYTHONPATH, generic host mounts, TeX Live
 * from the host, and persistent instances for workspaces.
 */
export const INSTANCE_NAME_RE = /^[a-zA-Z0-9._-]+$/;

/** TeX Live binaries bound read-only from the host prefix. */
export const TEXLIVE_BINS = ['pdflatex', 'bibtex', 'latexmk', 'latexdiff', 'kpsewhich', 'makeindex'];
/** TeX Live share folders bound read-only from the host prefix. */
export const TEXLIVE_SHARE_DIRS = ['texlive', 'texmf-dist'];

export const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin';

export interface DevRepo {
  name: string;
  hostPath: string;
}

export interface HostMount {
  hostPath: string;
  containerPath: string;
  mode: 'ro' | 'rw';
}

export interface ApptainerLimits {
  cpus?: number;
  memoryMiB?: number;
  pids?: number;
  /** A cgroups TOML for --apply-cgroups; never together with the flags above. */
  applyCgroups?: string;
}

export interface ApptainerSpec {
  /** A .sif file or a sandbox directory. */
  image: string;
  username: string;
  /** Host folder bound as the user's home. */
  hostHome: string;
  /** Host project folder, bound read-write. */
  project: string;
  projectSlug: string;
  /** Where the project appears inside: /home/USER/proj/SLUG (scitex layout) or /workspace. */
  projectMount: 'home' | 'workspace';
  hostname: string;
  /** Workspace variables (plain values only: secrets travel as APPTAINERENV_* in the environment). */
  env: Record<string, string>;
  devRepos: DevRepo[];
  hostMounts: HostMount[];
  texlivePrefix?: string;
  limits: ApptainerLimits;
  gpu: boolean;
  network: 'none' | 'full';
  /** A persistent writable overlay; without it, changes outside binds vanish with the instance. */
  overlay?: string;
  fakeroot?: boolean;
}

export function projectDirInside(spec: Pick<ApptainerSpec, 'username' | 'projectSlug' | 'projectMount'>): string {
  return spec.projectMount === 'workspace' ? '/workspace' : `/home/${spec.username}/proj/${spec.projectSlug}`;
}

/** `/opt/dev/NAME/src` for each dev repo (src layout), colon-separated. */
export function devPythonPath(repos: DevRepo[]): string {
  return repos.map((r) => `/opt/dev/${r.name}/src`).join(':');
}

/** `--bind` pairs for generic host mounts and, with a prefix, the TeX Live share dirs and binaries (read-only). */
export function hostMountBinds(mounts: HostMount[], texlivePrefix?: string): string[] {
  const out: string[] = [];
  for (const m of mounts) out.push('--bind', `${m.hostPath}:${m.containerPath}:${m.mode}`);
  if (texlivePrefix) {
    const prefix = texlivePrefix.replace(/\/+$/, '');
    for (const dir of TEXLIVE_SHARE_DIRS) out.push('--bind', `${prefix}/share/${dir}:${prefix}/share/${dir}:ro`);
    for (const bin of TEXLIVE_BINS) out.push('--bind', `${prefix}/bin/${bin}:${prefix}/bin/${bin}:ro`);
  }
  return out;
}

export function limitArgs(limits: ApptainerLimits): string[] {
  const flags = limits.cpus !== undefined || limits.memoryMiB !== undefined || limits.pids !== undefined;
  if (flags && limits.applyCgroups) throw new Error('apptainer: give --cpus/--memory/--pids-limit or an --apply-cgroups file, not both');
  if (limits.applyCgroups) return ['--apply-cgroups', limits.applyCgroups];
  const out: string[] = [];
  if (limits.cpus !== undefined) out.push('--cpus', String(limits.cpus));
  if (limits.memoryMiB !== undefined) out.push('--memory', `${limits.memoryMiB}M`);
  if (limits.pids !== undefined) out.push('--pids-limit', String(limits.pids));
  return out;
}

/**
 * The session flags shared by `exec` and `instance start`: contained,
 * clean environment, writable tmpfs, explicit identity and PATH.
 */
/** The session's variables: identity, PATH, project, dev-repo PYTHONPATH, then the workspace's own. */
export function sessionEnv(spec: ApptainerSpec): Record<string, string> {
  const inside = projectDirInside(spec);
  const env: Record<string, string> = {
    TERM: 'xterm-256color',
    USER: spec.username,
    LOGNAME: spec.username,
    SHELL: '/bin/bash',
    PATH: DEFAULT_PATH,
    BENCHTOP_PROJECT: spec.projectSlug,
    BENCHTOP_PROJECT_DIR: inside,
  };
  const py = devPythonPath(spec.devRepos);
  if (py) env.PYTHONPATH = py;
  return { ...env, ...spec.env };
}

export function sessionFlags(spec: ApptainerSpec): string[] {
  const inside = projectDirInside(spec);
  const a = ['--containall', '--cleanenv', ...(spec.overlay ? ['--overlay', spec.overlay] : ['--writable-tmpfs']), '--hostname', spec.hostname];
  if (spec.fakeroot) a.push('--fakeroot');
  if (spec.network === 'none') a.push('--net', '--network', 'none');
  if (spec.gpu) a.push('--nv');
  for (const [k, v] of Object.entries(sessionEnv(spec))) a.push('--env', `${k}=${v}`);
  a.push('--home', `${spec.hostHome}:/home/${spec.username}`);
  a.push('--bind', `${spec.project}:${inside}:rw`);
  for (const r of spec.devRepos) a.push('--bind', `${r.hostPath}:/opt/dev/${r.name}:ro`);
  a.push(...hostMountBinds(spec.hostMounts, spec.texlivePrefix));
  a.push(...limitArgs(spec.limits));
  return a;
}

/** `apptainer exec` of one command in a fresh container (no instance), starting in the project. */
export function buildExecArgv(spec: ApptainerSpec, argv: string[], cwd?: string): string[] {
  return ['apptainer', 'exec', ...sessionFlags(spec), '--pwd', cwd ?? projectDirInside(spec), spec.image, ...argv];
}

/** `apptainer instance start` for a persistent workspace (instance start takes no --pwd). */
export function buildInstanceStartArgv(spec: ApptainerSpec, instance: string): string[] {
  assertInstanceName(instance);
  return ['apptainer', 'instance', 'start', ...sessionFlags(spec), spec.image, instance];
}

/**
 * One command inside a running instance. `instance://` does not inherit the
 * environment given to `instance start`, so every exec repeats --cleanenv and
 * the session's variables (plus per-exec ones); secrets go as APPTAINERENV_*.
 */
export function buildInstanceExecArgv(instance: string, argv: string[], opts: { cwd: string; env?: Record<string, string> }): string[] {
  assertInstanceName(instance);
  const a = ['apptainer', 'exec', '--cleanenv', '--pwd', opts.cwd];
  for (const [k, v] of Object.entries(opts.env ?? {})) a.push('--env', `${k}=${v}`);
  return [...a, `instance://${instance}`, ...argv];
}

export function buildInstanceListArgv(): string[] {
  return ['apptainer', 'instance', 'list', '--json'];
}

export function buildInstanceStopArgv(instance: string): string[] {
  assertInstanceName(instance);
  return ['apptainer', 'instance', 'stop', instance];
}

/** Environment that carries a secret into the container past --cleanenv, without any argv. */
export function secretEnvFor(secrets: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(secrets).map(([k, v]) => [`APPTAINERENV_${k}`, v]));
}

/**
 * The terminal's entry: fix HOME (an instance exec inherits the caller's),
 * give the user a passwd identity when running as root inside, cd into the
 * project, then a login bash (sh if there is none). Fixed text, no user input.
 */
export const SHELL_ENTRY_SCRIPT = [
  'if [ "$(id -u)" = "0" ] && [ -n "$USER" ] && [ "$USER" != "root" ]; then',
  '  sed -i "s|^root:[^:]*:0:0:[^:]*:[^:]*:|$USER:x:0:0:$USER:/home/$USER:|" /etc/passwd 2>/dev/null;',
  'fi;',
  'if [ -n "$USER" ]; then export HOME="/home/$USER"; fi;',
  'if [ -n "$BENCHTOP_PROJECT_DIR" ] && [ -d "$BENCHTOP_PROJECT_DIR" ]; then cd "$BENCHTOP_PROJECT_DIR";',
  'elif [ -n "$BENCHTOP_PROJECT_DIR" ]; then echo "project folder $BENCHTOP_PROJECT_DIR is not mounted"; fi;',
  'if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi',
].join(' ');

export function buildShellCommand(): string[] {
  return ['/bin/sh', '-c', SHELL_ENTRY_SCRIPT];
}

export function assertInstanceName(name: string): void {
  if (!INSTANCE_NAME_RE.test(name)) throw new Error(`apptainer: instance name "${name}" must match ^[a-zA-Z0-9._-]+$`);
}

/** SIF file or sandbox directory, from what is on disk. */
export function imageKindOf(stat: { isFile(): boolean; isDirectory(): boolean }, path: string): 'sif' | 'sandbox' | null {
  if (stat.isDirectory()) return 'sandbox';
  if (stat.isFile() && /\.(sif|simg|img)$/i.test(path)) return 'sif';
  if (stat.isFile()) return 'sif';
  return null;
}

/** Parses `apptainer instance list --json`: instance names (and their images). */
export function parseInstanceList(json: string): Map<string, { pid: number | null; image: string | null }> {
  const out = new Map<string, { pid: number | null; image: string | null }>();
  const text = json.trim();
  if (!text) return out;
  const parsed = JSON.parse(text) as { instances?: { instance?: string; pid?: number; img?: string }[] };
  for (const i of parsed.instances ?? []) if (i.instance) out.set(i.instance, { pid: i.pid ?? null, image: i.img ?? null });
  return out;
}
