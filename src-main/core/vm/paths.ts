/**
 * Where the VM environment store lives in the data folder. Everything is built
 * in tmp/ (same filesystem) and renamed into place whole, so a reader never
 * sees half a kernel or half an image.
 *
 *   <home>/vm/kernels/<id>/              vmlinux, modules/*.ko, meta.json
 *   <home>/vm/images/<name>/<version>/   root.ext4, initrd.cpio.gz, meta.json
 *   <home>/vm/locks/                     one lock per image name, one for kernel fetches
 *   <home>/vm/tmp/                       builds in progress
 */
import { join } from 'node:path';

export const vmPaths = {
  root: (home: string) => join(home, 'vm'),
  kernelsDir: (home: string) => join(home, 'vm', 'kernels'),
  kernelDir: (home: string, id: string) => join(home, 'vm', 'kernels', id),
  imagesDir: (home: string) => join(home, 'vm', 'images'),
  imageDir: (home: string, name: string) => join(home, 'vm', 'images', name),
  versionDir: (home: string, name: string, version: number) => join(home, 'vm', 'images', name, String(version)),
  locksDir: (home: string) => join(home, 'vm', 'locks'),
  imageLock: (home: string, name: string) => join(home, 'vm', 'locks', `image-${name}`),
  kernelLock: (home: string) => join(home, 'vm', 'locks', 'kernel'),
  tmpDir: (home: string) => join(home, 'vm', 'tmp'),
};

/** The files of one kernel and of one image version. */
export const VMLINUX = 'vmlinux';
export const MODULES_DIR = 'modules';
export const META = 'meta.json';
export const ROOT_DISK = 'root.ext4';
export const INITRD = 'initrd.cpio.gz';
