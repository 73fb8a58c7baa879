/**
 * Copying files into and out of a workspace (`benchtop cp`, the UI's upload):
 * a tar stream in chunks each way, read and written by `tar` inside the
 * sandbox, so every path resolves in the sandbox's own view of its files.
 */
import { z } from 'zod';
import { workspaceRefSchema } from './domain';

/** One transfer's id, chosen by the caller so its chunks and events find it before the result arrives. */
export const transferIdSchema = z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'must be 8-64 letters, digits or dashes');

/** A path inside the sandbox: absolute, or relative to the workspace's working folder (its project). */
export const sandboxPathSchema = z
  .string()
  .min(1, 'is required')
  .max(4096, 'must be at most 4096 characters')
  .refine((s) => !s.includes('\0'), 'must not contain NUL');

/** The name of the one entry at the top of an uploaded tar stream: one path component. */
export const entryNameSchema = z
  .string()
  .min(1, 'is required')
  .max(255, 'must be at most 255 characters')
  .refine((s) => !s.includes('/') && !s.includes('\0') && s !== '.' && s !== '..', 'must be one file or folder name (no "/", not "." or "..")');

/**
 * Bytes of one upload chunk, base64. Far below the WebSocket frame limit
 * (16 MiB), so a chunk never ends a browser host's connection.
 */
export const UPLOAD_CHUNK_MAX_BASE64 = 4 * 1024 * 1024;
/** Bytes of one `files.data` event before base64: an event is never a large frame either. */
export const DOWNLOAD_CHUNK_MAX_BYTES = 1024 * 1024;

export const uploadInputSchema = z
  .object({
    workspace: workspaceRefSchema,
    /** Where it goes: an existing folder takes it inside (as cp does); otherwise it is created with this name. */
    path: sandboxPathSchema,
    /** The one top entry of the tar stream (what is copied). */
    name: entryNameSchema,
    transferId: transferIdSchema,
    /** What the caller calls the source (a local path), for the journal only. */
    source: z.string().min(1).max(4096).optional(),
  })
  .strict();
export type UploadInput = z.infer<typeof uploadInputSchema>;

export const downloadInputSchema = z
  .object({
    workspace: workspaceRefSchema,
    /** The file or folder to copy out. */
    path: sandboxPathSchema,
    transferId: transferIdSchema,
    /** What the caller calls the target (a local path), for the journal only. */
    target: z.string().min(1).max(4096).optional(),
  })
  .strict();
export type DownloadInput = z.infer<typeof downloadInputSchema>;

/** How a copy ended: its journal entry, the bytes of the tar stream, the path in the sandbox it resolved to. */
export const transferResultSchema = z.object({
  seq: z.number().int(),
  bytes: z.number().int(),
  path: z.string(),
});
export type TransferResult = z.infer<typeof transferResultSchema>;

/** Entries a folder listing returns at most. */
export const LIST_MAX_ENTRIES = 2000;

export const folderEntrySchema = z.object({
  name: z.string(),
  kind: z.enum(['dir', 'file', 'link', 'other']),
  /** Bytes, for files (0 otherwise). */
  size: z.number().int(),
});
export type FolderEntry = z.infer<typeof folderEntrySchema>;

export const sandboxListingSchema = z.object({
  /** The folder listed, absolute in the sandbox. */
  path: z.string(),
  /** The workspace's working folder (its project) and its user's home, for quick links. */
  project: z.string(),
  home: z.string(),
  entries: z.array(folderEntrySchema),
  /** More entries exist than were returned. */
  truncated: z.boolean(),
});
export type SandboxListing = z.infer<typeof sandboxListingSchema>;
