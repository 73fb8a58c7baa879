import { resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const FIXTURE_ROOTFS = resolve(REPO, 'test/fixtures/.build/rootfs-busybox');
export const FIXTURE_IMAGE = 'localhost/benchtop-test:latest';
export const CI_USER = process.env.BENCHTOP_CI_USER ?? 'benchtopci';
export const CLI = resolve(REPO, 'bin/benchtop.js');
/** The kernel test/fixtures/build-vm.sh caches for the VM image tests: kernel.json says where. */
export const VM_FIXTURE = resolve(REPO, 'test/fixtures/.build/vm');
/** The guest agent scripts/build-agent.mjs builds. */
export const AGENT_BINARY = resolve(REPO, 'build/agent/benchtop-agent');
