/**
 * The backends' descriptors for any screen that shows a workspace: where its
 * project is inside, what its images are. Screens read these instead of
 * knowing backends by name.
 */
import { createContext, useContext } from 'react';
import type { BackendDescriptor, BackendId, BackendInfo } from '../../../src-preload/contract';

export const BackendsContext = createContext<BackendInfo[] | null>(null);

/** A backend's descriptor, or null while the backends are still being detected. */
export function useDescriptor(id: BackendId): BackendDescriptor | null {
  return useContext(BackendsContext)?.find((b) => b.id === id)?.descriptor ?? null;
}

/** "at /workspace (read-write)", or "used in place" for a backend without a sandbox. */
export function projectPlace(d: BackendDescriptor | null): string {
  if (!d) return '';
  return d.projectPath === null ? 'used in place' : `at ${d.projectPath} (read-write)`;
}
