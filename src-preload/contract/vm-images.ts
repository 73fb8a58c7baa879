/**
 * The VM image store's shapes (QEMU workspaces): named images with numbered,
 * immutable versions of a root disk, each tied to the kernel it was built
 * for. `NAME` means the newest version, `NAME@VERSION` one version.
 */
import { z } from 'zod';
import { WORKSPACE_NAME_RE } from './domain';
import { hostPathSchema } from './host';

/** Image names follow the workspace name rules. */
export const vmImageNameSchema = z.string().regex(WORKSPACE_NAME_RE, 'must match ^[a-z0-9][a-z0-9_.-]{0,62}$ (lower-case letters, digits, _ . -)');

/** `NAME` or `NAME@VERSION`. */
export const vmImageRefSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,62}(@[1-9]\d{0,8})?$/, 'must be NAME or NAME@VERSION (e.g. debian@2)');

/** What an image is built from: a root filesystem folder (absolute path) or a local podman image. */
export const vmImageSourceSchema = z
  .string()
  .min(1, 'is required')
  .max(4096, 'must be at most 4096 characters')
  .refine((s) => !s.startsWith('-'), 'must not start with "-"')
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');

export const vmImageSchema = z.object({
  name: z.string(),
  version: z.number().int(),
  /** sha256 of the root disk (hex): what a journal entry's provenance names. */
  digest: z.string(),
  /** The guest's `uname -r`. */
  kernelRelease: z.string(),
  kernelId: z.string(),
  sizeMiB: z.number().int(),
  /** A folder, or `podman:<image>`. */
  source: z.string(),
  createdAt: z.string(),
});
export type VmImage = z.infer<typeof vmImageSchema>;

export const vmImageBuildSchema = z
  .object({
    name: vmImageNameSchema,
    from: vmImageSourceSchema,
    /** The root disk's size; default: the content + 50% + 64 MiB. */
    sizeMiB: z.number().int('must be a whole number of MiB').min(1, 'must be at least 1 MiB').max(16 * 1024 * 1024, 'must be at most 16 TiB').optional(),
    /** The user's own kernel (a vmlinux or an XZ bzImage) and its modules: both or neither. */
    kernel: hostPathSchema.optional(),
    modules: hostPathSchema.optional(),
    /** Progress lines go to the caller as `vmImage.buildProgress` events tagged with it. */
    buildId: z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'must be 8-64 letters, digits or dashes').optional(),
  })
  .strict()
  .refine((p) => !!p.kernel === !!p.modules, { message: 'kernel and modules go together: give both or neither', path: ['modules'] });
