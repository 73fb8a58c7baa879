/**
 * A writer of cpio "newc" archives, the format the Linux kernel unpacks as an
 * initramfs. Ours rather than `cpio -o`: an initramfs needs a /dev/console
 * node and root-owned files, and only root can make those on disk; here
 * they are just header fields. (npm has no maintained newc writer.)
 */

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Buffer; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const TRAILER = 'TRAILER!!!';

const hex8 = (n: number): string => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
const pad4 = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);

function record(ino: number, mode: number, nlink: number, data: Buffer, name: string, rdev: [number, number] = [0, 0]): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
  const fields = [ino, mode, 0, 0, nlink, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
  const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'latin1');
  return [header, nameBytes, pad4(header.length + nameBytes.length), data, pad4(data.length)];
}

/** The archive of `entries` in order (parents before children), every file owned by root, mtime 0. */
export function cpioNewc(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((e, i) => {
    const path = e.path.replace(/^\/+/, '');
    if (!path || path.split('/').includes('..')) throw new Error(`cpio: bad path "${e.path}"`);
    const ino = i + 1;
    if (e.kind === 'dir') parts.push(...record(ino, S_IFDIR | (e.mode ?? 0o755), 2, Buffer.alloc(0), path));
    else if (e.kind === 'file') parts.push(...record(ino, S_IFREG | (e.mode ?? 0o644), 1, e.data, path));
    else if (e.kind === 'symlink') parts.push(...record(ino, S_IFLNK | 0o777, 1, Buffer.from(e.target, 'utf8'), path));
    else parts.push(...record(ino, S_IFCHR | (e.mode ?? 0o600), 1, Buffer.alloc(0), path, [e.major, e.minor]));
  });
  parts.push(...record(0, 0, 1, Buffer.alloc(0), TRAILER));
  return Buffer.concat(parts);
}
