/**
 * Every method the UI, the CLI and the browser host call, declared once.
 * Main validates each incoming payload against `params`; clients get types
 * from the same map. Channel names exist only here.
 */
import { z } from 'zod';
import {
  backendIdSchema,
  backendInfoSchema,
  createWorkspaceInputSchema,
  execIdSchema,
  execInputSchema,
  execResultSchema,
  journalEntrySchema,
  journalEntryWithOutputSchema,
  colsSchema,
  rowsSchema,
  sandboxUserSchema,
  terminalIdSchema,
  terminalInfoSchema,
  workspaceRefSchema,
  workspaceSchema,
} from './domain';
import { portRequestSchema, portStatusSchema } from './ports';
import { downloadInputSchema, sandboxListingSchema, sandboxPathSchema, transferIdSchema, transferResultSchema, UPLOAD_CHUNK_MAX_BASE64, uploadInputSchema } from './files';
import { vmImageBuildSchema, vmImageRefSchema, vmImageSchema } from './vm-images';
import { folderListingSchema, hostPathSchema, imageChoiceSchema, imageListSchema, imageRefSchema, slurmPartitionSchema } from './host';

const refParams = z.object({ workspace: workspaceRefSchema }).strict();

export const methods = {
  /** Detects every backend: availability, version, a hint when unusable, capabilities. */
  'backends.list': { params: z.object({}).strict(), result: z.array(backendInfoSchema) },
  /** Lists all workspaces, reconciled against the backends (one call per backend). */
  'workspaces.list': { params: z.object({}).strict(), result: z.array(workspaceSchema) },
  /** One workspace by name or id, reconciled. */
  'workspaces.get': { params: refParams, result: workspaceSchema },
  /** The end of a workspace's machine console (a VM's serial console), secrets redacted; CONFLICT where the backend has none. */
  'workspaces.console': {
    params: z.object({ workspace: workspaceRefSchema, tailBytes: z.number().int().min(1).max(4 * 1024 * 1024).optional() }).strict(),
    result: z.object({ text: z.string(), sizeBytes: z.number().int(), truncated: z.boolean() }),
  },
  /** Creates a workspace and starts it unless `start: false`. */
  'workspaces.create': { params: createWorkspaceInputSchema, result: workspaceSchema },
  /** Starts a created or stopped workspace (adopts a sandbox that is already running). */
  'workspaces.start': { params: refParams, result: workspaceSchema },
  /** Stops a workspace; its files, home and journal are kept. */
  'workspaces.stop': { params: refParams, result: workspaceSchema },
  /** Stops and removes a workspace and its record. The project folder is never touched. */
  'workspaces.remove': { params: refParams, result: z.object({ id: z.string(), name: z.string() }) },
  /**
   * Runs one command in a running workspace and journals it: the entry is written
   * when it starts (status running) and completed when it ends. A command the
   * sandbox could not run fails with the reason (BACKEND_FAILED or INVALID_INPUT),
   * its entry marked not-run; so does one in a workspace whose last measured disk
   * use is over its quota (QUOTA_EXCEEDED). `warning`: the 90% line, once per crossing.
   */
  'exec.run': { params: execInputSchema, result: execResultSchema },
  /** Bytes (base64) for the stdin of a running exec started with `stdin: true`; `eof` closes it. */
  'exec.input': {
    params: z.object({ execId: execIdSchema, data: z.string().max(8 * 1024 * 1024).optional(), eof: z.boolean().optional() }).strict(),
    result: z.object({}),
  },
  /** Ends a running exec started by this caller (its whole process tree, inside the sandbox). */
  'exec.cancel': { params: z.object({ execId: execIdSchema }).strict(), result: z.object({}) },
  /**
   * Copies a tar stream into a running workspace: `tar` inside the sandbox unpacks it, so every path
   * resolves in the sandbox's own view. The stream's one top entry `name` lands inside `path` when that
   * is an existing folder, else at `path` (its folder must exist). The bytes come in `files.uploadChunk`
   * calls; the result (and a journal entry, source `copy`) comes when the stream is unpacked.
   */
  'files.upload': { params: uploadInputSchema, result: transferResultSchema },
  /**
   * The next chunk (base64) of an upload's tar stream; `eof` ends it. Resolves once the chunk is written.
   * `abort` stops the copy, with why (the sender could not read its source): the upload fails with CANCELLED.
   */
  'files.uploadChunk': {
    params: z
      .object({ transferId: transferIdSchema, data: z.string().max(UPLOAD_CHUNK_MAX_BASE64).optional(), eof: z.boolean().optional(), abort: z.string().min(1).max(500).optional() })
      .strict(),
    result: z.object({}),
  },
  /**
   * Copies a file or folder out of a running workspace as a tar stream (`tar` inside the sandbox packs
   * it), sent to the caller as `files.data` events tagged with `transferId`; the result comes after the last.
   */
  'files.download': { params: downloadInputSchema, result: transferResultSchema },
  /** A folder of a running workspace as the sandbox sees it (default: its working folder), sorted, for the file browser. */
  'files.list': { params: z.object({ workspace: workspaceRefSchema, path: sandboxPathSchema.optional() }).strict(), result: sandboxListingSchema },
  /** Journal entries of a workspace, oldest first; page with afterSeq + limit. */
  'journal.list': {
    params: z
      .object({
        workspace: workspaceRefSchema,
        afterSeq: z.number().int().min(0).optional(),
        limit: z.number().int().min(1).max(10000).optional(),
      })
      .strict(),
    result: z.array(journalEntrySchema),
  },
  /**
   * One journal entry with its stored stdout and stderr. `outputs: false` leaves their text out
   * (stdoutText and stderrText are empty) for a reader that takes them in slices with journal.readOutput.
   */
  'journal.get': {
    params: z.object({ workspace: workspaceRefSchema, seq: z.number().int().min(1), outputs: z.boolean().optional() }).strict(),
    result: journalEntryWithOutputSchema,
  },
  /** A slice of one stored output stream (for large outputs, and for the exact bytes). */
  'journal.readOutput': {
    params: z
      .object({
        workspace: workspaceRefSchema,
        seq: z.number().int().min(1),
        stream: z.enum(['stdout', 'stderr']),
        offset: z.number().int().min(0).optional(),
        length: z.number().int().min(1).max(8 * 1024 * 1024).optional(),
        /** utf8 (the default) decodes for display; base64 gives the stored bytes exactly. */
        encoding: z.enum(['utf8', 'base64']).optional(),
      })
      .strict(),
    result: z.object({ data: z.string(), offset: z.number().int(), totalBytes: z.number().int(), eof: z.boolean() }),
  },
  /** The asciicast v2 recording of a terminal session's journal entry. */
  'journal.readRecording': {
    params: z.object({ workspace: workspaceRefSchema, seq: z.number().int().min(1) }).strict(),
    result: z.object({ cast: z.string() }),
  },
  /** Opens a shell in a running workspace (podman/gvisor exec -it, a fresh bwrap, or a host shell). */
  'terminals.open': {
    params: z.object({ workspace: workspaceRefSchema, cols: colsSchema, rows: rowsSchema, title: z.string().min(1).max(80).optional(), user: sandboxUserSchema.optional() }).strict(),
    result: terminalInfoSchema,
  },
  /** Terminals kept by this host (all, or one workspace's), including ended ones not yet closed. */
  'terminals.list': { params: z.object({ workspace: workspaceRefSchema.optional() }).strict(), result: z.array(terminalInfoSchema) },
  /** Reattaches: the terminal and its recent output, to restore the screen after a reload. */
  'terminals.attach': {
    params: z.object({ id: terminalIdSchema }).strict(),
    result: z.object({ terminal: terminalInfoSchema, scrollback: z.string() }),
  },
  /** Keystrokes (or pasted text) into the terminal. */
  'terminals.write': { params: z.object({ id: terminalIdSchema, data: z.string().max(1024 * 1024) }).strict(), result: z.object({}) },
  'terminals.resize': { params: z.object({ id: terminalIdSchema, cols: colsSchema, rows: rowsSchema }).strict(), result: z.object({}) },
  /** Flow control: how many characters of terminal.data the client has rendered. */
  'terminals.ack': { params: z.object({ id: terminalIdSchema, chars: z.number().int().min(0) }).strict(), result: z.object({}) },
  'terminals.rename': { params: z.object({ id: terminalIdSchema, title: z.string().min(1).max(80) }).strict(), result: terminalInfoSchema },
  /**
   * Whether the shell is running a program in the foreground (so closing would end it), and its
   * name. `busy: null`: the shell's processes cannot be seen from this host (gVisor, SLURM).
   */
  'terminals.busy': {
    params: z.object({ id: terminalIdSchema }).strict(),
    result: z.object({ busy: z.boolean().nullable(), program: z.string().optional() }),
  },
  /** Ends the shell (if running) and forgets the terminal; its recording stays in the journal. */
  'terminals.close': { params: z.object({ id: terminalIdSchema }).strict(), result: z.object({}) },
  /**
   * Journal entries matching a query and filters, newest first, one page at a time, with the
   * number of all matches. `query`: whitespace-separated terms that must all occur ("quotes" keep
   * a phrase), case-insensitive, over the command, the detail and the stored (redacted) stdout and
   * stderr — of each stream its first and last 2 KiB. exit `ok`: exit code 0; `failed`: non-zero
   * or timed out (entries without an exit code are neither). `from`/`to` bound startedAt, inclusive.
   */
  /** The README of this installation (Markdown), shown as the app's help page. */
  'help.readme': { params: z.object({}).strict(), result: z.object({ markdown: z.string() }) },
  'journal.search': {
    params: z
      .object({
        workspace: workspaceRefSchema,
        query: z.string().max(500, 'must be at most 500 characters').optional(),
        sources: z.array(journalEntrySchema.shape.source).max(4).optional(),
        exit: z.enum(['any', 'ok', 'failed']).optional(),
        from: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2025-01-31T09:00:00Z' }).optional(),
        to: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2025-01-31T18:00:00Z' }).optional(),
        offset: z.number().int().min(0).optional(),
        limit: z.number().int().min(1, 'must be between 1 and 1000').max(1000, 'must be between 1 and 1000').optional(),
      })
      .strict()
      .refine((p) => !p.from || !p.to || Date.parse(p.from) <= Date.parse(p.to), { message: 'must be at or after the start of the range', path: ['to'] }),
    result: z.object({ entries: z.array(journalEntrySchema), total: z.number().int() }),
  },
  /** The images a backend can use here: its local store (podman) and folders or files earlier workspaces used. */
  'images.list': { params: z.object({ backend: backendIdSchema }).strict(), result: imageListSchema },
  /**
   * Pulls an image into the backend's store (podman: any transport — a registry reference,
   * `oci-archive:/path.tar`, `docker-archive:`, `dir:`). Progress lines go to the caller as
   * `image.pullProgress` events tagged with `pullId`.
   */
  'images.pull': {
    params: z.object({ backend: backendIdSchema, ref: imageRefSchema, pullId: execIdSchema.optional() }).strict(),
    result: imageChoiceSchema,
  },
  /**
   * Builds a new version of a VM image (QEMU workspaces) from a root filesystem folder or a local
   * podman image: its files plus Benchtop's agent on an ext4 root disk, an initramfs and a cached
   * kernel. Progress lines go to the caller as `vmImage.buildProgress` events tagged with `buildId`.
   */
  'vmImages.build': { params: vmImageBuildSchema, result: vmImageSchema },
  /** Every version of every VM image, by name then version. */
  'vmImages.list': { params: z.object({}).strict(), result: z.object({ images: z.array(vmImageSchema) }) },
  /** Removes one version (`NAME@VERSION`) or all (`NAME`); refused while a workspace uses one. */
  'vmImages.remove': { params: z.object({ ref: vmImageRefSchema }).strict(), result: z.object({ removed: z.array(vmImageSchema) }) },
  /** The sub-folders of a host folder the user may read (default: the home folder). Never the data folder. */
  'host.listFolders': {
    params: z.object({ path: hostPathSchema.optional(), hidden: z.boolean().optional() }).strict(),
    result: folderListingSchema,
  },
  /** The desktop app's native folder dialog; null when cancelled. Not offered by the browser host. */
  'host.pickFolder': {
    params: z.object({ title: z.string().max(200).optional(), defaultPath: hostPathSchema.optional() }).strict(),
    result: z.object({ path: z.string().nullable() }),
  },
  /** The workspace's published ports and whether each listens now. */
  'ports.list': { params: refParams, result: z.array(portStatusSchema) },
  /**
   * Publishes a port inside the workspace on 127.0.0.1:hostPort (a free one when hostPort is absent).
   * Running: published at once (a host port in use is CONFLICT); stopped: kept, published when it starts.
   */
  'ports.add': { params: z.object({ workspace: workspaceRefSchema }).extend(portRequestSchema.shape).strict(), result: portStatusSchema },
  /** Stops publishing the port inside (and, when given, only if it is on that host port). */
  'ports.remove': { params: z.object({ workspace: workspaceRefSchema }).extend(portRequestSchema.shape).strict(), result: z.array(portStatusSchema) },
  /** SLURM's partitions (sinfo), for the create form; empty when SLURM is not here. */
  'slurm.partitions': { params: z.object({}).strict(), result: z.object({ partitions: z.array(slurmPartitionSchema) }) },
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type MethodParams<M extends MethodName> = z.input<Methods[M]['params']>;
export type MethodResult<M extends MethodName> = z.infer<Methods[M]['result']>;
export const METHOD_NAMES = Object.keys(methods) as MethodName[];
