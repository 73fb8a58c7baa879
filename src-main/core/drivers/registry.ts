/**
 * Every backend's driver, one line each: adding a backend is a folder under
 * drivers/, a line here, and its id in the contract's BACKEND_IDS. Nothing
 * outside drivers/ names a backend; it reads the driver's descriptor.
 */
import type { BackendId } from '../../../src-preload/contract';
import { createApptainerDriver } from './apptainer/driver';
import { createBwrapDriver } from './bwrap/driver';
import { createFirecrackerDriver } from './firecracker/driver';
import { createHostDriver } from './host/driver';
import { createPodmanDriver } from './podman/driver';
import { createQemuDriver } from './qemu/driver';
import type { Driver, DriverContext } from './types';

export function createDrivers(ctx: DriverContext, given: Partial<Record<BackendId, Driver>> = {}): Record<BackendId, Driver> {
  return {
    podman: given.podman ?? createPodmanDriver(ctx, { id: 'podman' }),
    gvisor: given.gvisor ?? createPodmanDriver(ctx, { id: 'gvisor' }),
    bwrap: given.bwrap ?? createBwrapDriver(ctx),
    apptainer: given.apptainer ?? createApptainerDriver(ctx),
    host: given.host ?? createHostDriver(ctx),
    qemu: given.qemu ?? createQemuDriver(ctx),
    firecracker: given.firecracker ?? createFirecrackerDriver(ctx),
  };
}

/** The backend a workspace is taken to be when nothing says which (a damaged record, no labelled sandbox). */
export const FALLBACK_BACKEND: BackendId = 'bwrap';
