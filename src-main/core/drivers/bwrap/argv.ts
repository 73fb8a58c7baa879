/**
 * Pure argv builders for bubblewrap. A bwrap workspace holds no process: each
 * exec and each terminal is a fresh bwrap with the same recipe.
 */
export const SANDBOX_USER = 'user';
export const SANDBOX_UID = 1000;
export const SANDBOX_HOME = `/home/${SANDBOX_USER}`;
export const SANDBOX_PROJECT = '/workspace';
export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** /etc files a shell and common tools need; passwd/group are generated, never the host's. */
export const HOST_ETC_FILES = [
  'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'alternatives', 'localtime', 'timezone', 'nsswitch.conf',
  'hosts', 'resolv.conf', 'ssl', 'ca-certificates', 'ca-certificates.conf', 'profile', 'profile.d',
  'bash.bashrc', 'inputrc', 'terminfo', 'os-release', 'debian_version', 'mime.types', 'protocols',
  'services', 'locale.alias', 'environment', 'login.defs', 'shells', 'magic', 'gitconfig', 'vim', 'python3',
];

/** One top-level entry of a system root: a directory to bind or a symlink to recreate. */
export type RootEntry = { name: string; kind: 'dir' | 'file' } | { name: string; kind: 'symlink'; target: string };

/** Top-level entries never taken from a rootfs image: the sandbox provides its own. */
const SANDBOX_OWNED = new Set(['proc', 'dev', 'tmp', 'home', 'workspace', 'root', 'run', 'sys', 'mnt', 'media', 'var', 'lost+found', 'boot']);

/** Who runs inside: uid and gid, and the name and home that go with them. */
export interface SandboxUser {
  uid: number;
  gid: number;
  /** null for a uid the sandbox's passwd does not name. */
  name: string | null;
  home: string;
}

export const DEFAULT_USER: SandboxUser = { uid: SANDBOX_UID, gid: SANDBOX_UID, name: SANDBOX_USER, home: SANDBOX_HOME };

/**
 * A user asked for by name or uid, looked up in the sandbox's passwd text.
 * A name that is not there is null (the caller says so); a uid that is not
 * there runs as itself, with its own gid and / as home (as podman does).
 */
export function resolveSandboxUser(passwd: string, user: string): SandboxUser | null {
  const numeric = /^\d+$/.test(user);
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid, , home] = line.split(':');
    if (!name || uid === undefined || gid === undefined) continue;
    if (numeric ? uid === user : name === user) return { uid: Number(uid), gid: Number(gid), name, home: home || '/' };
  }
  return numeric ? { uid: Number(user), gid: Number(user), name: null, home: '/' } : null;
}

export interface BwrapSpec {
  /** Host system folders (from {@link hostSystemEntries}) or a rootfs image's entries. */
  system: { root: string; entries: RootEntry[]; etcFiles: string[] | null };
  /** Generated passwd/group (host mode only: an image brings its own). */
  passwd: string | null;
  group: string | null;
  project: string;
  home: string;
  hostname: string;
  network: 'none' | 'full';
  cwd: string;
  env: Record<string, string>;
  /** Secrets are not in argv: they are read from fd 3 (`--args 3`) after --clearenv. */
  hasSecrets: boolean;
  /** Exec gets its own session (no TIOCSTI into the caller); a terminal must not. */
  newSession: boolean;
  term: string;
  argv: string[];
  /** Absent: the sandbox user (uid 1000, home at /home/user). */
  user?: SandboxUser;
}

export function buildBwrapArgv(bwrap: string, spec: BwrapSpec): string[] {
  const a = [bwrap, '--unshare-all'];
  if (spec.network === 'full') a.push('--share-net');
  a.push('--die-with-parent');
  if (spec.newSession) a.push('--new-session');
  const user = spec.user ?? DEFAULT_USER;
  a.push('--uid', String(user.uid), '--gid', String(user.gid));
  a.push('--hostname', spec.hostname);
  for (const e of spec.system.entries) {
    const src = joinRoot(spec.system.root, e.name);
    if (e.kind === 'symlink') a.push('--symlink', e.target, `/${e.name}`);
    else a.push('--ro-bind', src, `/${e.name}`);
  }
  if (spec.system.etcFiles) {
    for (const f of spec.system.etcFiles) a.push('--ro-bind-try', `/etc/${f}`, `/etc/${f}`);
  }
  if (spec.passwd) a.push('--ro-bind', spec.passwd, '/etc/passwd');
  if (spec.group) a.push('--ro-bind', spec.group, '/etc/group');
  a.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', '/run');
  a.push('--bind', spec.home, SANDBOX_HOME);
  a.push('--bind', spec.project, SANDBOX_PROJECT);
  a.push('--chdir', spec.cwd);
  a.push('--clearenv');
  const env: Record<string, string> = {
    HOME: user.home,
    ...(user.name ? { USER: user.name, LOGNAME: user.name } : {}),
    PATH: SANDBOX_PATH,
    TERM: spec.term,
    LANG: 'C.UTF-8',
    ...spec.env,
  };
  for (const [k, v] of Object.entries(env)) a.push('--setenv', k, v);
  if (spec.hasSecrets) a.push('--args', '3');
  a.push('--', ...spec.argv);
  return a;
}

/** The NUL-separated `--setenv K V` arguments bwrap reads from fd 3. */
export function secretArgsPayload(secretEnv: Record<string, string>): Uint8Array {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(secretEnv)) parts.push('--setenv', k, v);
  return new TextEncoder().encode(parts.map((p) => `${p}\0`).join(''));
}

/** The host's system folders: /usr plus the /bin, /lib… entries, as links or folders (merged-/usr aware). */
export function systemEntriesFrom(
  root: string,
  names: string[],
  lstat: (path: string) => { kind: 'dir' | 'file' | 'symlink' | 'missing'; target?: string },
): RootEntry[] {
  const out: RootEntry[] = [];
  for (const name of names) {
    const s = lstat(joinRoot(root, name));
    if (s.kind === 'missing') continue;
    if (s.kind === 'symlink') out.push({ name, kind: 'symlink', target: s.target ?? '' });
    else out.push({ name, kind: s.kind });
  }
  return out;
}

export const HOST_SYSTEM_DIRS = ['usr', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'opt'];

/** Entries of a rootfs image to bind, minus what the sandbox provides itself. */
export function imageEntryNames(allNames: string[]): string[] {
  return allNames.filter((n) => !SANDBOX_OWNED.has(n)).sort();
}

export function passwdFile(): string {
  return `root:x:0:0:root:/root:/bin/sh\n${SANDBOX_USER}:x:${SANDBOX_UID}:${SANDBOX_UID}:${SANDBOX_USER}:${SANDBOX_HOME}:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`;
}

export function groupFile(): string {
  return `root:x:0:\n${SANDBOX_USER}:x:${SANDBOX_UID}:\nnogroup:x:65534:\n`;
}

function joinRoot(root: string, name: string): string {
  return root === '/' ? `/${name}` : `${root}/${name}`;
}
