/**
 * What the create form looks up on the host: the images a backend can use
 * (and pulling one), the host's folders (to pick a project without typing),
 * and SLURM's partitions.
 */
import { z } from 'zod';

/**
 * An image as podman (or any transport it knows) names it. A reference never
 * starts with "-" (it would be read as a flag) and has no spaces or control
 * characters. File transports (oci-archive:, docker-archive:, dir:, oci:) take
 * an absolute path, checked on the host before the pull starts.
 */
export const imageRefSchema = z
  .string()
  .min(1, 'is required')
  .max(1024, 'must be at most 1024 characters')
  .refine((s) => !s.startsWith('-'), 'must not start with "-"')
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\s\u0000-\u001f\u007f]/.test(s), 'must not contain spaces or control characters');

/**
 * One image a backend can use: `image` a name in the backend's local store,
 * `rootfs` a root filesystem folder, `file` an image file (a SIF). `source`
 * says where the choice comes from: the backend's store, or earlier workspaces.
 */
export const imageChoiceSchema = z.object({
  ref: z.string(),
  kind: z.enum(['image', 'rootfs', 'file']),
  source: z.enum(['store', 'used-before']),
  sizeBytes: z.number().nullable(),
  /** When the image was built (store), or when a workspace last used it (used-before). */
  createdAt: z.string().nullable(),
});
export type ImageChoice = z.infer<typeof imageChoiceSchema>;

export const imageListSchema = z.object({
  images: z.array(imageChoiceSchema),
  /** Whether `images.pull` works for this backend here. */
  canPull: z.boolean(),
});

/** A folder path as typed: absolute, bounded, no NUL. */
export const hostPathSchema = z
  .string()
  .min(1, 'is required')
  .max(4096, 'must be at most 4096 characters')
  .refine((s) => s.startsWith('/'), 'must be an absolute path (starting with /)')
  .refine((s) => !s.includes('\0'), 'must not contain NUL');

export const folderListingSchema = z.object({
  /** The folder listed, resolved (no symlinks, no ..). */
  path: z.string(),
  /** Its parent, or null at /. */
  parent: z.string().nullable(),
  folders: z.array(z.object({ name: z.string(), path: z.string() })),
  /** More sub-folders exist than were returned. */
  truncated: z.boolean(),
});
export type FolderListing = z.infer<typeof folderListingSchema>;

export const slurmPartitionSchema = z.object({
  name: z.string(),
  isDefault: z.boolean(),
  /** sinfo's availability: up, down, drain, inact. */
  state: z.string(),
  /** The partition's time limit as sinfo prints it (e.g. 1-00:00:00, infinite). */
  timeLimit: z.string(),
  nodes: z.number().int(),
});
export type SlurmPartition = z.infer<typeof slurmPartitionSchema>;
