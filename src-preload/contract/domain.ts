/**
 * Domain shapes shared by main, the CLI, the browser host and the renderer.
 * Static ranges live here; limits that depend on the host (cores, memory) are
 * checked again in core, where the host is known.
 */
import { z } from 'zod';
import { portRequestSchema, publishedPortSchema } from './ports';

export const BACKEND_IDS = ['podman', 'gvisor', 'bwrap', 'apptainer', 'host', 'qemu', 'firecracker'] as const;
/** What imageKind `system` was called in older records. */
const LEGACY_SYSTEM_IMAGE_KIND = BACKEND_IDS[4];
export const backendIdSchema = z.enum(BACKEND_IDS);
export type BackendId = z.infer<typeof backendIdSchema>;

export const WORKSPACE_NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
export const workspaceNameSchema = z
  .string()
  .regex(WORKSPACE_NAME_RE, 'must match ^[a-z0-9][a-z0-9_.-]{0,62}$ (lower-case letters, digits, _ . -)');

/** A workspace is addressed by its name or its id. */
export const workspaceRefSchema = z.string().min(1, 'workspace name or id is required').max(128);

/**
 * `broken`: Benchtop finds something of a workspace but no valid record of it
 * (its workspace.json is missing, truncated or invalid, or its folder is gone
 * while its sandbox is still there). `reason` says what is wrong; `rm` removes
 * what is left. See {@link workspaceSchema} for which fields it guarantees.
 */
export const WORKSPACE_STATES = ['created', 'starting', 'running', 'stopping', 'stopped', 'failed', 'expired', 'broken'] as const;
export const workspaceStateSchema = z.enum(WORKSPACE_STATES);
export type WorkspaceState = z.infer<typeof workspaceStateSchema>;
/** The states in which a workspace holds, or is getting or giving up, a sandbox: someone may count on it. */
export const ACTIVE_STATES: ReadonlySet<WorkspaceState> = new Set(['starting', 'running', 'stopping']);

export const LIMIT_NAMES = ['cpus', 'memory', 'pids'] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

export const LIMIT_RANGES = {
  cpus: { min: 0.1 },
  memoryMiB: { min: 64 },
  pids: { min: 16, max: 65536 },
  ttlSec: { min: 60, max: 30 * 24 * 3600 },
  execTimeoutSec: { min: 1, max: 1800, default: 300 },
  /** A disk quota: 64 MiB up to 64 TiB (SciTeX suggests 10 GB a workspace). */
  diskQuotaMiB: { min: 64, max: 64 * 1024 * 1024 },
} as const;

const diskQuotaMiBSchema = z
  .number()
  .int('must be a whole number of MiB')
  .min(LIMIT_RANGES.diskQuotaMiB.min, 'must be at least 64 MiB')
  .max(LIMIT_RANGES.diskQuotaMiB.max, 'must be at most 67108864 MiB (64 TiB)');

export const envKeySchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name');
export const envMapSchema = z.record(envKeySchema, z.string());

export const networkSchema = z.enum(['none', 'full']);
export type NetworkMode = z.infer<typeof networkSchema>;

export const isolationSchema = z.enum(['container', 'gvisor', 'namespaces', 'none', 'vm']);

export const limitsSchema = z.object({
  cpus: z.number().min(LIMIT_RANGES.cpus.min, 'must be at least 0.1').optional(),
  memoryMiB: z.number().int().min(LIMIT_RANGES.memoryMiB.min, 'must be at least 64 MiB').optional(),
  pids: z.number().int().min(LIMIT_RANGES.pids.min).max(LIMIT_RANGES.pids.max).optional(),
  execTimeoutSec: z.number().int().min(LIMIT_RANGES.execTimeoutSec.min).max(LIMIT_RANGES.execTimeoutSec.max),
  /** Disk quota: above it new commands are refused (see the descriptor's `disk.quota` for how it holds). */
  diskQuotaMiB: diskQuotaMiBSchema.optional(),
});
export type Limits = z.infer<typeof limitsSchema>;

export const capabilitiesSchema = z.object({
  /** Which limits this backend ENFORCES on this host (not merely accepts). */
  enforcedLimits: z.array(z.enum(LIMIT_NAMES)),
  network: z.array(networkSchema),
  gpu: z.boolean(),
  isolation: isolationSchema,
  rootless: z.boolean().optional(),
});
export type Capabilities = z.infer<typeof capabilitiesSchema>;

/**
 * What a backend is, as its driver describes itself (the same on every host):
 * the create form, the backends page, the overview and the CLI read this
 * instead of knowing backends by name.
 */
export const backendDescriptorSchema = z.object({
  label: z.string(),
  /** One line: what a workspace of this backend is. */
  summary: z.string(),
  isolation: isolationSchema,
  /** Where the project folder appears inside; null: used in place (no sandbox). */
  projectPath: z.string().nullable(),
  image: z.object({
    /** none: runs no image; optional: has a default system; required: a filesystem of its own. */
    use: z.enum(['none', 'optional', 'required']),
    /** What an image is for it, in words ("a local image or a rootfs folder"). */
    kinds: z.string(),
    example: z.string(),
    /** A root filesystem folder is an image for it (so folders other workspaces used are offered). */
    rootfs: z.boolean(),
  }),
  supports: z.object({
    tty: z.boolean(),
    stdin: z.boolean(),
    /** exec and terminals as another user (--user). */
    userSwitch: z.boolean(),
    /** placed inside a SLURM allocation. */
    slurm: z.boolean(),
    /** an image store to pull into (images.pull). */
    pull: z.boolean(),
    /** extra mounts, dev repos and the apptainer options. */
    apptainerOptions: z.boolean(),
    /** published ports (127.0.0.1:HOSTPORT on the host to a port inside); `portsNote` says how, or why not. */
    ports: z.boolean(),
    /** files copied in and out (`benchtop cp`): `tar` run inside the sandbox through exec. */
    files: z.boolean(),
    /** a machine console to read (a VM's serial console: boot messages, kernel errors). */
    console: z.boolean(),
  }),
  /**
   * What a workspace gets when no cpus or memory limit is given, for a backend
   * whose workspaces always have a size (a VM); absent: no limit.
   */
  sizeDefaults: z.object({ cpus: z.number(), memoryMiB: z.number() }).optional(),
  /** One line: how this backend publishes ports, or why it cannot. */
  portsNote: z.string(),
  defaultNetwork: networkSchema,
  /** No isolation: creating one needs the user's explicit consent (allowHost). */
  needsConsent: z.boolean(),
  /** Its sandboxes carry Benchtop's labels (a container found without its record is still known). */
  labelsSandboxes: z.boolean(),
  /** Its sandbox's main process ends by itself, with 0, when the TTL runs out. */
  ttlProcess: z.boolean(),
  disk: z.object({
    /** What a workspace's disk use counts for this backend, in words. */
    measures: z.string(),
    /**
     * How a disk quota holds. `enforced`: the backend itself stops writes past it.
     * `measured`: Benchtop measures the use in the background and refuses new
     * commands once the last measurement is over the quota; a command already
     * running can write past it.
     */
    quota: z.enum(['enforced', 'measured']),
    /** Why the backend does not enforce it itself (null when it does). */
    why: z.string().nullable(),
  }),
});
export type BackendDescriptor = z.infer<typeof backendDescriptorSchema>;

/** The create input's field of Apptainer-only options (named after its backend). */
export const APPTAINER_OPTIONS_FIELD = 'apptainer' as const;

export const backendInfoSchema = z.object({
  id: backendIdSchema,
  available: z.boolean(),
  version: z.string().nullable(),
  hint: z.string().nullable(),
  capabilities: capabilitiesSchema,
  descriptor: backendDescriptorSchema,
});
export type BackendInfo = z.infer<typeof backendInfoSchema>;

export const slurmRequestSchema = z
  .object({
    partition: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a partition name').optional(),
    time: z.string().regex(/^(\d+-)?\d{1,2}(:\d{2}){0,2}$/, 'must be HH:MM:SS (or D-HH:MM:SS)').optional(),
    cpus: z.number().int().min(1, 'must be between 1 and 1024').max(1024, 'must be between 1 and 1024').optional(),
    memMiB: z.number().int().min(64, 'must be at least 64 MiB').optional(),
    gres: z.string().regex(/^[A-Za-z0-9_:.,-]{1,128}$/, 'must be a GRES spec like gpu:1').optional(),
  })
  .strict();
export type SlurmRequest = z.infer<typeof slurmRequestSchema>;

export const placementSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local') }),
  z.object({ kind: z.literal('slurm') }).extend(slurmRequestSchema.shape),
]);
export type Placement = z.infer<typeof placementSchema>;

/** The allocation holding a SLURM-placed workspace, as squeue last said. */
export const slurmJobSchema = z.object({
  jobId: z.string(),
  state: z.string(),
  node: z.string().nullable(),
  timeLeft: z.string().nullable(),
  reason: z.string().nullable(),
});
export type SlurmJob = z.infer<typeof slurmJobSchema>;

export const hostMountSchema = z
  .object({
    hostPath: z.string().min(1).max(4096),
    containerPath: z.string().regex(/^\/[^:]*$/, 'must be an absolute path without ":"'),
    mode: z.enum(['ro', 'rw']),
  })
  .strict();
export const devRepoSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a repo name (letters, digits, _ . -)'),
    hostPath: z.string().min(1).max(4096),
  })
  .strict();
export const apptainerOptionsSchema = z
  .object({
    /** Host prefix of a TeX Live installation to bind read-only (e.g. /usr). */
    texlivePrefix: z.string().regex(/^\/[^:]*$/, 'must be an absolute path').optional(),
    /** Project at /home/USER/proj/NAME (the scitex layout) or at /workspace. */
    projectMount: z.enum(['home', 'workspace']).optional(),
    /** A cgroups TOML for --apply-cgroups (instead of cpus/memory/pids). */
    applyCgroups: z.string().regex(/^\/.*\.toml$/, 'must be an absolute path to a .toml file').optional(),
    /** A persistent writable overlay (an overlay image or folder) instead of a throwaway --writable-tmpfs. */
    overlay: z.string().regex(/^\/[^:]*$/, 'must be an absolute path to an overlay image or folder').optional(),
    /** Run as root inside through a user namespace (--fakeroot). */
    fakeroot: z.boolean().optional(),
  })
  .strict();

/**
 * A workspace's disk use as last measured: its own folder on the host (home,
 * journal, recordings; never the project folder, which is the user's) and its
 * sandbox's writable layer (podman, gVisor).
 */
export const diskUseSchema = z.object({
  usedBytes: z.number().int().min(0),
  folderBytes: z.number().int().min(0),
  /** The container's writable layer (bytes of its files); null when the backend keeps none or it cannot be seen from here. */
  sandboxBytes: z.number().int().min(0).nullable(),
  measuredAt: z.string(),
  /** The 90% warning was given for this crossing (cleared when a measurement is under 90% again). */
  warned: z.boolean().default(false),
});
export type DiskUse = z.infer<typeof diskUseSchema>;

/**
 * A workspace. For the state `broken` only `id`, `state` and `reason` are
 * guaranteed: the other fields hold what could still be read (the damaged
 * record's valid fields, the container's labels: name, backend, container
 * name) and neutral values otherwise (name: the id; backend: bwrap when
 * nothing says which; no limits, env, secrets or TTL).
 */
export const workspaceSchema = z.object({
  id: z.string(),
  name: z.string(),
  backend: backendIdSchema,
  state: workspaceStateSchema,
  reason: z.string().nullable(),
  image: z.string().nullable(),
  /** `system`: no image, the host's system folders (read-only). Records written before the rename say `host`. */
  imageKind: z.preprocess((v) => (v === LEGACY_SYSTEM_IMAGE_KIND ? 'system' : v), z.enum(['image', 'rootfs', 'system'])),
  project: z.string(),
  limits: limitsSchema,
  /** Limits that were asked for but are not enforced (only with bestEffortLimits). */
  unenforcedLimits: z.array(z.enum(LIMIT_NAMES)),
  network: networkSchema,
  isolation: isolationSchema,
  env: envMapSchema,
  secretKeys: z.array(z.string()),
  ttlSec: z.number().int().nullable(),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  stoppedAt: z.string().nullable(),
  placement: placementSchema,
  /** SLURM placement: the job holding the workspace (null when local or not submitted). */
  slurm: slurmJobSchema.nullable().default(null),
  mounts: z.array(hostMountSchema).default([]),
  devRepos: z.array(devRepoSchema).default([]),
  gpu: z.boolean().default(false),
  apptainer: apptainerOptionsSchema.default({}),
  /** The last measurement of its disk use (null: not measured yet). */
  disk: diskUseSchema.nullable().default(null),
  /** Published ports, kept while it is stopped and published again when it starts. */
  ports: z.array(publishedPortSchema).default([]),
  runtime: z.object({
    containerName: z.string().optional(),
    rootless: z.boolean().optional(),
    ociRuntime: z.string().optional(),
  }),
  /**
   * Live processes of an active workspace, where the backend can count them
   * (bwrap, host: every process carrying the workspace's marker, the sandbox's
   * own bwrap not counted). Absent where it cannot tell. Never stored.
   */
  processes: z.number().int().min(0).optional(),
});
export type Workspace = z.infer<typeof workspaceSchema>;

export const createWorkspaceInputSchema = z
  .object({
    name: workspaceNameSchema,
    backend: backendIdSchema,
    image: z.string().min(1).max(4096).optional(),
    project: z.string().min(1).max(4096).optional(),
    /**
     * Create the project folder when it is missing (only its last folder: the parent must exist).
     * Without it a missing folder is INVALID_INPUT with `details.missing` (the path), so a UI can ask first.
     */
    createProject: z.boolean().optional(),
    cpus: z.number().min(LIMIT_RANGES.cpus.min, 'must be at least 0.1').optional(),
    memoryMiB: z.number().int().min(LIMIT_RANGES.memoryMiB.min, 'must be at least 64 MiB').optional(),
    pids: z
      .number()
      .int()
      .min(LIMIT_RANGES.pids.min, 'must be between 16 and 65536')
      .max(LIMIT_RANGES.pids.max, 'must be between 16 and 65536')
      .optional(),
    ttlSec: z
      .number()
      .int()
      .min(LIMIT_RANGES.ttlSec.min, 'must be between 60 s and 30 days')
      .max(LIMIT_RANGES.ttlSec.max, 'must be between 60 s and 30 days')
      .optional(),
    execTimeoutSec: z
      .number()
      .int()
      .min(LIMIT_RANGES.execTimeoutSec.min, 'must be between 1 and 1800 s')
      .max(LIMIT_RANGES.execTimeoutSec.max, 'must be between 1 and 1800 s')
      .optional(),
    /** Refuse new commands once the workspace uses more than this (MiB); a warning at 90%. */
    diskQuotaMiB: diskQuotaMiBSchema.optional(),
    network: networkSchema.optional(),
    env: envMapSchema.optional(),
    secrets: envMapSchema.optional(),
    allowHost: z.boolean().optional(),
    bestEffortLimits: z.boolean().optional(),
    start: z.boolean().optional(),
    /** Run inside a SLURM allocation instead of on this machine. */
    slurm: slurmRequestSchema.optional(),
    mounts: z.array(hostMountSchema).max(64).optional(),
    devRepos: z.array(devRepoSchema).max(64).optional(),
    gpu: z.boolean().optional(),
    apptainer: apptainerOptionsSchema.optional(),
    /** Ports to publish on 127.0.0.1 (see ports.ts). */
    ports: z.array(portRequestSchema).max(64).optional(),
  })
  .strict();
export type CreateWorkspaceInput = z.infer<typeof createWorkspaceInputSchema>;

/**
 * What one command line may hold. The kernel refuses a single argument of
 * 128 KiB or more (MAX_ARG_STRLEN) and bwrap refuses more than 9000 arguments
 * of its own and the command's together; a command over these limits is bad
 * input, named here, never a sandbox failure.
 */
export const COMMAND_LIMITS = { argBytes: 128 * 1024 - 1, args: 4096, totalBytes: 1024 * 1024 } as const;

const argBytes = (s: string) => new TextEncoder().encode(s).length;
const commandArgSchema = z
  .string()
  .refine((s) => s.length <= COMMAND_LIMITS.argBytes && argBytes(s) <= COMMAND_LIMITS.argBytes, `must be at most ${COMMAND_LIMITS.argBytes} bytes (the kernel's limit for one argument)`);

/** Chosen by the caller so it can send stdin (`exec.input`) and match `exec.output` events before the result arrives. */
export const execIdSchema = z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'must be 8-64 letters, digits or dashes');

/** A user inside the sandbox: a name from its /etc/passwd, or a numeric uid. */
export const sandboxUserSchema = z
  .string()
  .regex(/^(?:[a-z_][a-z0-9_.-]{0,31}|\d{1,10})$/, 'must be a user name (lower-case letters, digits, _ . -) or a numeric uid');

export const execInputSchema = z
  .object({
    workspace: workspaceRefSchema,
    /** Run as this user inside the sandbox (the backend's own switch: podman exec --user, bwrap --uid). */
    user: sandboxUserSchema.optional(),
    argv: z.array(commandArgSchema).min(1, 'argv must not be empty').max(COMMAND_LIMITS.args, `must have at most ${COMMAND_LIMITS.args} arguments`).optional(),
    shell: commandArgSchema.refine((s) => s.length > 0, 'shell command must not be empty').optional(),
    cwd: z.string().min(1).max(4096).optional(),
    env: envMapSchema.optional(),
    execId: execIdSchema.optional(),
    /** Send the output to the caller as `exec.output` events while the command runs (the result still carries the capped copy). */
    stream: z.boolean().optional(),
    /** Keep the command's stdin open for `exec.input` (as `podman exec -i`); without it stdin is empty. */
    stdin: z.boolean().optional(),
    timeoutSec: z
      .number()
      .int()
      .min(LIMIT_RANGES.execTimeoutSec.min, 'must be between 1 and 1800 s')
      .max(LIMIT_RANGES.execTimeoutSec.max, 'must be between 1 and 1800 s')
      .optional(),
  })
  .strict()
  .refine((v) => (v.argv === undefined) !== (v.shell === undefined), {
    message: 'give exactly one of argv or shell',
    path: ['argv'],
  })
  .refine((v) => commandBytes(v) <= COMMAND_LIMITS.totalBytes, {
    message: `the command line and its environment must be at most ${COMMAND_LIMITS.totalBytes} bytes`,
    path: ['argv'],
  })
  .refine((v) => !v.stdin || v.execId !== undefined, { message: 'stdin needs an execId to send input to', path: ['execId'] })
  .refine((v) => !v.stream || v.execId !== undefined, { message: 'stream needs an execId to match the output events', path: ['execId'] });

function commandBytes(v: { argv?: string[]; shell?: string; env?: Record<string, string> }): number {
  let n = 0;
  for (const a of v.argv ?? [v.shell ?? '']) n += argBytes(a) + 1;
  for (const [k, val] of Object.entries(v.env ?? {})) n += argBytes(k) + argBytes(val) + 2;
  return n;
}
export type ExecInput = z.infer<typeof execInputSchema>;

export const execResultSchema = z.object({
  seq: z.number().int(),
  exitCode: z.number().int(),
  stdout: z.string(),
  stderr: z.string(),
  durationMs: z.number(),
  timedOut: z.boolean(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  /** Benchtop's own word for the caller, given once (the workspace is near its disk quota). */
  warning: z.string().optional(),
});
export type ExecResult = z.infer<typeof execResultSchema>;

export const JOURNAL_SOURCES = ['exec', 'terminal', 'lifecycle', 'copy'] as const;

/**
 * Where an entry stands. `running`: written when the command started, not yet
 * ended. `completed`: it ended and `exitCode` is its own. `interrupted`: the
 * process that ran it died (or the sandbox went away) before it ended; `reason`
 * says what happened. `not-run`: the sandbox could not run it (no such cwd,
 * pids limit, container removed…); `reason` says why and `exitCode` is null.
 */
export const ENTRY_STATUSES = ['running', 'completed', 'interrupted', 'not-run'] as const;
export const entryStatusSchema = z.enum(ENTRY_STATUSES);
export type EntryStatus = z.infer<typeof entryStatusSchema>;

export const outputInfoSchema = z.object({
  /** Bytes the command produced on this stream. */
  bytes: z.number().int(),
  /** Bytes kept in the journal (the head of the stream, up to the cap). */
  storedBytes: z.number().int(),
  truncated: z.boolean(),
});

/** A copy's journal record (source `copy`): which way, the path in the sandbox, the other end as the caller named it, tar bytes. */
export const copyRecordSchema = z.object({
  direction: z.enum(['in', 'out']),
  path: z.string(),
  local: z.string().nullable(),
  bytes: z.number().int(),
});

export const journalEntrySchema = z.object({
  seq: z.number().int(),
  workspaceId: z.string(),
  source: z.enum(JOURNAL_SOURCES),
  /** What ran, as one display string (argv quoted for a POSIX shell). */
  command: z.string(),
  argv: z.array(z.string()).nullable(),
  cwd: z.string().nullable(),
  /** The user a command ran as, when one was asked for. */
  user: z.string().nullable().optional(),
  /** Which front end asked: cli, app, web, api. */
  client: z.string(),
  startedAt: z.string(),
  durationMs: z.number(),
  exitCode: z.number().int().nullable(),
  timedOut: z.boolean(),
  /** For lifecycle entries: created, started, stopped, removed, expired, failed, adopted. */
  event: z.string().nullable(),
  detail: z.string().nullable(),
  stdout: outputInfoSchema.nullable(),
  stderr: outputInfoSchema.nullable(),
  /** Terminal sessions: the asciicast v2 recording, relative to the workspace folder. */
  recording: z.string().nullable().default(null),
  /** Entries written before this field existed were complete. */
  status: entryStatusSchema.default('completed'),
  /** Why an entry is interrupted or not-run (null otherwise). */
  reason: z.string().nullable().default(null),
  /** Copies (source `copy`): which way, the path in the sandbox, the other end, bytes. */
  copy: copyRecordSchema.optional(),
});
export type JournalEntry = z.infer<typeof journalEntrySchema>;

export const journalEntryWithOutputSchema = journalEntrySchema.extend({
  stdoutText: z.string(),
  stderrText: z.string(),
});
export type JournalEntryWithOutput = z.infer<typeof journalEntryWithOutputSchema>;

export const terminalInfoSchema = z.object({
  id: z.string(),
  workspaceId: z.string(),
  workspaceName: z.string(),
  title: z.string(),
  cols: z.number().int(),
  rows: z.number().int(),
  createdAt: z.string(),
  /** null while the shell runs. */
  exitCode: z.number().int().nullable(),
  running: z.boolean(),
  /** Set when the sandbox could not start the shell (e.g. no such user): Benchtop's one line, instead of the sandbox's. */
  failure: z.string().optional(),
});
export type TerminalInfo = z.infer<typeof terminalInfoSchema>;

export const terminalIdSchema = z.string().regex(/^[a-f0-9]{16}$/, 'must be a terminal id');
export const colsSchema = z.number().int().min(2, 'must be between 2 and 1000').max(1000, 'must be between 2 and 1000');
export const rowsSchema = z.number().int().min(1, 'must be between 1 and 500').max(500, 'must be between 1 and 500');
