/**
 * Stage 1 of a Benchtop guest: an initramfs of busybox-static, the kernel's
 * modules and an /init that loads them in order, mounts the root disk
 * (/dev/vda, ext4) and switches to the image's /benchtop/init (stage 2, see
 * stage2.ts). It is built per image version, so an image's initrd always
 * matches the modules of the kernel it was built with.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BenchtopError } from '../../../src-preload/contract';
import { cpioNewc, type CpioEntry } from './cpio';
import type { Kernel } from './kernel';

/** The host's busybox-static (Debian package busybox-static): it runs with no libc. */
export const HOST_BUSYBOX = '/bin/busybox';

/**
 * Any failure ends /init: the kernel panics, `panic=-1` reboots at once and
 * QEMU's -no-reboot turns that into QEMU exiting, with the reason on the
 * serial console log.
 */
export const STAGE1_INIT = `#!/bin/busybox sh
# Benchtop stage 1: load the modules, mount the root disk, hand over to its /benchtop/init.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() { echo "benchtop stage 1: $*" >/dev/console; exit 1; }
for m in $(cat /lib/modules/order); do
  insmod "/lib/modules/$m.ko" || fail "insmod $m failed"
done
# virtio_blk probes asynchronously: give the disk up to 5 s to appear.
i=0
while [ ! -b /dev/vda ]; do
  i=$((i + 1)); [ "$i" -gt 100 ] && fail "no root disk (/dev/vda)"
  sleep 0.05
done
mount -t ext4 /dev/vda /newroot || fail "cannot mount /dev/vda (ext4)"
[ -x /newroot/benchtop/init ] || fail "the root disk has no /benchtop/init"
mkdir -p /newroot/dev
mount --move /dev /newroot/dev
umount /proc /sys
exec switch_root /newroot /benchtop/init
`;

/** The initramfs (cpio newc, gzip) for `kernel`. */
export function buildInitramfs(kernel: Kernel, busybox = HOST_BUSYBOX): Buffer {
  let bb: Buffer;
  try {
    bb = readFileSync(busybox);
  } catch {
    throw new BenchtopError('BACKEND_UNAVAILABLE', `${busybox} is missing: install the busybox-static package`, { hint: 'apt-get install busybox-static' });
  }
  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'proc', 'sys', 'newroot', 'lib', 'lib/modules'].map((path): CpioEntry => ({ kind: 'dir', path })),
    // The kernel opens /dev/console for init's stdio before anything is mounted.
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'file', path: 'bin/busybox', data: bb, mode: 0o755 },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    { kind: 'file', path: 'init', data: Buffer.from(STAGE1_INIT), mode: 0o755 },
    { kind: 'file', path: 'lib/modules/order', data: Buffer.from(kernel.modules.load.map((m) => `${m}\n`).join('')) },
    ...kernel.modules.load.map((m): CpioEntry => ({ kind: 'file', path: `lib/modules/${m}.ko`, data: readFileSync(join(kernel.modulesDir, `${m}.ko`)) })),
  ];
  return gzipSync(cpioNewc(entries), { level: 6 });
}
