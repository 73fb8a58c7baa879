import { resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const FIXTURE_ROOTFS = resolve(REPO, 'test/fixtures/.build/rootfs-busybox');
export const FIXTURE_IMAGE = 'localhost/benchtop-test:latest';
export const CI_USER = process.env.BENCHTOP_CI_USER ?? 'benchtopci';
export const CLI = resolve(REPO, 'bin/benchtop.js');
