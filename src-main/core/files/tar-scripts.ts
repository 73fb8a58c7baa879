/**
 * The shell scripts a copy runs inside the sandbox. `tar` there reads and
 * writes every path, so symlinks, mounts and the root are the sandbox's own:
 * a link to /etc in the project is the sandbox's /etc, never the host's.
 * Only what both GNU tar and BusyBox tar accept is used (-c -x -o -f - -C).
 *
 * Why not `podman cp` for podman and gVisor: it reads the container's storage
 * from the host, and gVisor keeps a container's writes in its own kernel, so
 * `podman cp` neither finds a file written inside a gVisor workspace nor puts
 * one where the workspace sees it (tried on this repository's test image).
 * One tar inside works alike for every backend; the price is that the image
 * needs `sh` and `tar` (a clear error says so when it has none).
 *
 * A refusal the script decides itself is one stderr line
 * `benchtop-cp: CODE: message` and exit 3, so it is told apart from tar's
 * own failures (read as the copy failing midway).
 */
import { ERROR_CODES, type ErrorCode } from '../../../src-preload/contract';

const MARK = 'benchtop-cp';
export const REFUSED_EXIT = 3;

const DIE = `die() { printf '${MARK}: %s: %s\\n' "$1" "$2" >&2; exit ${REFUSED_EXIT}; }`;
const PRELUDE = `
${DIE}
command -v tar >/dev/null 2>&1 || die BACKEND_FAILED "tar is not installed in the workspace (copying runs tar inside it)"
`;

/**
 * Lists the folder $1: first the sandbox user's $HOME, then per entry its kind
 * (d, f, l or o), its size in bytes (files) and its name, each field ended by
 * NUL (a name may hold any other byte). At most $2 entries; a `+` field after
 * them says there were more.
 */
const LIST = `
${DIE}
dir=$1 max=$2
[ -e "$dir" ] || die NOT_FOUND "$dir: no such folder"
[ -d "$dir" ] || die INVALID_INPUT "$dir: not a folder"
cd "$dir" 2>/dev/null || die INVALID_INPUT "$dir: cannot be read"
printf '%s\\0' "$HOME"
n=0
for f in * .[!.]* ..?*; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  n=$((n + 1))
  if [ "$n" -gt "$max" ]; then printf '+\\0'; break; fi
  if [ -L "$f" ]; then k=l; elif [ -d "$f" ]; then k=d; elif [ -f "$f" ]; then k=f; else k=o; fi
  size=0
  if [ "$k" = f ]; then size=$(wc -c < "$f" 2>/dev/null | tr -d ' '); fi
  printf '%s\\0%s\\0%s\\0' "$k" "\${size:-0}" "$f"
done
`;

/** argv listing a folder (see LIST); `dir` absolute. */
export function listArgv(dir: string, max: number): string[] {
  return ['sh', '-c', LIST, MARK, dir, String(max)];
}

export interface FolderEntryRaw {
  kind: 'dir' | 'file' | 'link' | 'other';
  size: number;
  name: string;
}

/** Reads LIST's output. */
export function parseListing(stdout: Buffer): { home: string; entries: FolderEntryRaw[]; truncated: boolean } {
  const fields = stdout.toString('utf8').split('\0');
  const home = fields[0] ?? '';
  const entries: FolderEntryRaw[] = [];
  let truncated = false;
  const kinds = { d: 'dir', f: 'file', l: 'link', o: 'other' } as const;
  // The last field is the empty one after the final NUL.
  for (let i = 1; i < fields.length - 1; i += 3) {
    if (fields[i] === '+') {
      truncated = true;
      break;
    }
    const kind = kinds[fields[i] as keyof typeof kinds];
    if (!kind || i + 2 >= fields.length) break;
    entries.push({ kind, size: Number(fields[i + 1]) || 0, name: fields[i + 2] as string });
  }
  return { home, entries, truncated };
}

/**
 * Unpacks the tar stream on stdin. Its one top entry ($2) goes inside $1
 * when $1 is a folder (as cp does); otherwise it is unpacked beside $1 in a
 * fresh folder and renamed to $1, so a half-unpacked copy never takes its
 * name. Whether a folder is writable is learnt by making one there: `test -w`
 * is always true for root in BusyBox, even on a read-only mount. umask 0: the
 * modes are the archive's (GNU tar applies the umask without -p, which
 * BusyBox tar does not know).
 */
const COPY_IN = `${PRELUDE}
dest=$1 name=$2 mustdir=$3 only=$4
umask 0
if [ -d "$dest" ]; then
  probe=$(mktemp -d "$dest/.benchtop-cp.XXXXXX" 2>/dev/null) || die INVALID_INPUT "$dest: the folder is not writable"
  rmdir "$probe"
  [ "$only" = checks ] && exit 0
  exec tar -x -o -f - -C "$dest"
fi
if [ "$mustdir" = dir ]; then
  if [ -e "$dest" ]; then die INVALID_INPUT "$dest: not a folder"; fi
  die NOT_FOUND "$dest: no such folder"
fi
parent=\${dest%/*}
parent=\${parent:-/}
[ -e "$parent" ] || die NOT_FOUND "$parent: no such folder"
[ -d "$parent" ] || die INVALID_INPUT "$parent: not a folder"
tmp=$(mktemp -d "$parent/.benchtop-cp.XXXXXX" 2>/dev/null) || die INVALID_INPUT "$parent: the folder is not writable"
trap 'rm -rf "$tmp"' EXIT
[ "$only" = checks ] && exit 0
# Said first, so a copy that is killed (its sender stopped) can still be cleaned up from outside.
printf '%s\n' "$tmp"
tar -x -o -f - -C "$tmp" || exit 4
if [ -d "$tmp/$name" ] && [ -e "$dest" ]; then die INVALID_INPUT "$dest: exists and is not a folder"; fi
mv -f "$tmp/$name" "$dest" || exit 4
`;

/** Packs $1 (a file, folder or link, not followed) as the one top entry `./NAME` of a tar stream on stdout. */
const COPY_OUT = `${PRELUDE}
src=$1
[ -e "$src" ] || [ -L "$src" ] || die NOT_FOUND "$src: no such file or folder"
dir=\${src%/*}
exec tar -c -f - -C "\${dir:-/}" "./\${src##*/}"
`;

/** The folder a copy in unpacks into before it takes its name, from the script's stdout (none when it unpacks into a folder). */
export function unpackFolderIn(stdout: string): string | null {
  const first = stdout.split('\n')[0] ?? '';
  return /\/\.benchtop-cp\.[A-Za-z0-9]{6}$/.test(first) ? first : null;
}

/** argv removing what a killed copy left (`unpackFolderIn`). */
export function removeArgv(path: string): string[] {
  return ['rm', '-rf', '--', path];
}

/** argv for copying into the sandbox; `dest` absolute and normalized, `mustBeFolder` when the user wrote a trailing slash. */
export function copyInArgv(dest: string, name: string, mustBeFolder: boolean): string[] {
  return ['sh', '-c', COPY_IN, MARK, dest, name, mustBeFolder ? 'dir' : '', ''];
}

/**
 * The same copy's checks alone, with no stdin: `podman exec -i` can lose the
 * last stderr of a process that exits while its stdin is still being written
 * (seen 2 times in 40), so a refusal that came without its line is asked again.
 */
export function copyInChecksArgv(dest: string, name: string, mustBeFolder: boolean): string[] {
  return ['sh', '-c', COPY_IN, MARK, dest, name, mustBeFolder ? 'dir' : '', 'checks'];
}

/** argv for copying out of the sandbox; `src` absolute, normalized, never `/`. */
export function copyOutArgv(src: string): string[] {
  return ['sh', '-c', COPY_OUT, MARK, src];
}

/** The script's own refusal in this stderr, if it refused. */
export function refusalIn(stderr: string): { code: ErrorCode; message: string } | null {
  for (const line of stderr.split('\n')) {
    const m = /^benchtop-cp: ([A-Z_]+): (.*)$/.exec(line);
    if (m && (ERROR_CODES as readonly string[]).includes(m[1] as string)) return { code: m[1] as ErrorCode, message: m[2] as string };
  }
  return null;
}
