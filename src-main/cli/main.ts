/**
 * `benchtop`: the same core as the app, as a command-line tool. Every command
 * goes through the contract (an in-memory RPC client), so the CLI validates
 * exactly as the UI and the browser host do.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { execaSync } from 'execa';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BACKEND_IDS, BenchtopError, parsePortSpec, type PortRequest, type BackendId, type CreateWorkspaceInput, type ErrorData, type JournalEntry, type JournalEntryWithOutput } from '../../src-preload/contract';
import { createClient, type BenchtopClient } from '../../src-preload/client';
import { createMemoryTransportPair } from '../../src-preload/transports/memory';
import { defaultDataHome } from '../core/store/layout';
import { TerminalService } from '../core/terminals/service';
import { WorkspaceService } from '../core/workspaces/service';
import { createServiceRpc } from '../rpc/handlers';
import { copyCommand } from './cp';
import { formatBackends, formatEntry, formatImages, formatJournal, formatWorkspace, formatWorkspaces } from './format';
import { formatPorts } from './format-ports';
import { formatVmImages } from './format-vm-images';

/** Benchtop's own failures in `exec` and `shell` exit 125, as `podman exec` does. */
const EXEC_OWN_FAILURE = 125;
/** What a shell reports for a command ended by SIGPIPE (its reader went away). */
const SIGPIPE_EXIT = 141;

const USAGE = `usage:
  benchtop backends [--json]
  benchtop create NAME --backend ${BACKEND_IDS.join('|')} [--image IMG] [--project DIR]
       [--cpus N] [--memory MIB] [--pids N] [--disk-quota MIB] [--ttl SECONDS] [--exec-timeout SECONDS]
       [--network none|full] [--env K=V]... [--secret K=V | --secret K]...
       [--slurm [--partition P] [--time HH:MM:SS] [--slurm-cpus N] [--slurm-mem MIB] [--gres G]]
       [--gpu]                      (podman: every NVIDIA GPU through CDI; apptainer: --nv)
       [--publish [HOSTPORT:]PORT]...  (podman, gvisor, qemu: PORT inside on 127.0.0.1:HOSTPORT, a free one if omitted)
       [--mount HOST:CONTAINER[:ro|rw]]... [--dev-repo NAME=PATH]...              (apptainer)
       [--texlive-prefix DIR] [--project-mount home|workspace] [--apply-cgroups FILE] (apptainer)
       [--overlay IMG|DIR] [--fakeroot]                                          (apptainer)
       [--allow-host] [--best-effort-limits] [--no-start] [--json]
  benchtop images [--backend podman|gvisor|bwrap|apptainer] [--json]
  benchtop pull REF [--backend podman|gvisor] [--json]      REF: a registry name, oci-archive:/path.tar, docker-archive:, dir:
  benchtop image build NAME --from DIR|PODMAN-IMAGE [--size MIB] [--kernel VMLINUX --modules DIR] [--json]   (VM images)
  benchtop image ls [--json]          benchtop image rm NAME@VERSION | NAME (every version)
  benchtop ls [--json]                benchtop status NAME [--json]
  benchtop console NAME [--tail BYTES]   (a VM's serial console: what its kernel and init said)
  benchtop start NAME | stop NAME | rm NAME
  benchtop port add NAME [HOSTPORT:]PORT [--json]   benchtop port rm NAME [HOSTPORT:]PORT   benchtop port ls NAME [--json]
  benchtop exec NAME [-i] [--user U] [--timeout S] [--cwd DIR] [--env K=V]... [--json] -- ARGV...
  benchtop exec NAME [-i] [--user U] [--timeout S] [--cwd DIR] [--env K=V]... [--json] -c 'SHELL STRING'
  benchtop shell NAME [--user U]      (an interactive shell, journaled and recorded)
  benchtop cp LOCAL NAME:PATH | NAME:PATH LOCAL [--json]   (files and folders, modes kept; ./a:b for a local a:b)
  benchtop logs NAME [--json | --jsonl] [--with-output]
  benchtop logs NAME --seq N [--json | --stdout | --stderr]
  benchtop serve [--host 127.0.0.1] [--port P] [--allow-origin ORIGIN]...
data folder: $BENCHTOP_HOME, else $XDG_DATA_HOME/benchtop`;

class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

function parse<const O extends Options>(args: string[], options: O, positionals: number, what = 'workspace NAME') {
  const all = { ...options, json: { type: 'boolean' } } as const;
  let parsed;
  try {
    parsed = parseArgs({ args, options: all, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  if (parsed.positionals.length !== positionals) {
    if (positionals === 2) throw new UsageError('expected SRC and DEST');
    throw new UsageError(positionals === 1 ? `expected exactly one ${what}` : `unexpected argument "${parsed.positionals[positionals] ?? ''}"`);
  }
  return parsed;
}

function num(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag}: expected a number, got "${value}"`);
  return n;
}

/** K=V pairs; `--secret K` alone takes the value from this process's environment (so it is in no argv). */
function pairs(flag: string, values: string[] | undefined, allowFromEnv = false): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) {
      if (allowFromEnv && eq === -1 && v && process.env[v] !== undefined) {
        out[v] = process.env[v] as string;
        continue;
      }
      throw new UsageError(`--${flag}: expected KEY=VALUE${allowFromEnv ? ' (or KEY set in the environment)' : ''}, got "${v.split('=')[0]}${eq >= 0 ? '=…' : ''}"`);
    }
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** --mount HOST:CONTAINER[:ro|rw] (read-only unless :rw). */
function parseMount(spec: string): { hostPath: string; containerPath: string; mode: 'ro' | 'rw' } {
  const parts = spec.split(':');
  const mode = parts.length === 3 ? parts[2] : 'ro';
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1] || (mode !== 'ro' && mode !== 'rw')) {
    throw new UsageError(`--mount: expected HOST:CONTAINER[:ro|rw], got "${spec}"`);
  }
  return { hostPath: parts[0], containerPath: parts[1], mode };
}

/** --publish and `port add|rm`: [HOSTPORT:]PORT. */
function portSpec(flag: string, text: string): PortRequest {
  const r = parsePortSpec(text);
  if ('error' in r) throw new UsageError(`${flag}: ${r.error}`);
  return r;
}

/** --dev-repo NAME=PATH (bound read-only at /opt/dev/NAME, its src/ on PYTHONPATH). */
function parseDevRepo(spec: string): { name: string; hostPath: string } {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1) throw new UsageError(`--dev-repo: expected NAME=PATH, got "${spec}"`);
  return { name: spec.slice(0, eq), hostPath: spec.slice(eq + 1) };
}

function print(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

async function withClient<T>(fn: (client: BenchtopClient, service: WorkspaceService) => Promise<T>): Promise<T> {
  // ls and status measure disk use as they look: fresh numbers, and a quota that holds with no app running.
  const service = new WorkspaceService({ home: defaultDataHome(), measureDiskOnRead: true });
  const { server } = createServiceRpc(service, new TerminalService(service));
  const [serverSide, clientSide] = createMemoryTransportPair();
  server.attach(serverSide, { client: 'cli' });
  return fn(createClient(clientSide), service);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'backends': {
      const { values } = parse(rest, {}, 0);
      return withClient(async (c) => {
        const list = await c.call('backends.list', {});
        print(values.json, list, () => formatBackends(list));
        return 0;
      });
    }
    case 'images': {
      const { values } = parse(rest, { backend: { type: 'string' } }, 0);
      return withClient(async (c) => {
        const r = await c.call('images.list', { backend: await imageBackend(c, values.backend) });
        print(values.json, r, () => formatImages(r.images, r.canPull));
        return 0;
      });
    }
    case 'pull': {
      const { values, positionals } = parse(rest, { backend: { type: 'string' } }, 1, 'image reference (e.g. oci-archive:/data/image.tar)');
      return withClient(async (c) => {
        const pullId = randomUUID();
        // Progress goes to stderr as podman says it; stdout keeps the result alone.
        const off = c.on('image.pullProgress', (p) => {
          if (p.pullId === pullId && !values.json) process.stderr.write(`${p.line}\n`);
        });
        try {
          const image = await c.call('images.pull', { backend: await imageBackend(c, values.backend), ref: positionals[0] as string, pullId });
          print(values.json, image, () => `pulled ${image.ref}`);
          return 0;
        } finally {
          off();
        }
      });
    }
    case 'image':
      return vmImageCommand(rest);
    case 'shell': {
      const { values, positionals } = parse(rest, { user: { type: 'string', short: 'u' } }, 1);
      return withClient((c) => shell(c, positionals[0] as string, values.user));
    }
    case 'create': {
      const { values, positionals } = parse(
        rest,
        {
          backend: { type: 'string' },
          image: { type: 'string' },
          project: { type: 'string' },
          cpus: { type: 'string' },
          memory: { type: 'string' },
          pids: { type: 'string' },
          'disk-quota': { type: 'string' },
          ttl: { type: 'string' },
          'exec-timeout': { type: 'string' },
          network: { type: 'string' },
          env: { type: 'string', multiple: true },
          secret: { type: 'string', multiple: true },
          'allow-host': { type: 'boolean' },
          'best-effort-limits': { type: 'boolean' },
          'no-start': { type: 'boolean' },
          slurm: { type: 'boolean' },
          partition: { type: 'string' },
          time: { type: 'string' },
          'slurm-cpus': { type: 'string' },
          'slurm-mem': { type: 'string' },
          gres: { type: 'string' },
          mount: { type: 'string', multiple: true },
          'dev-repo': { type: 'string', multiple: true },
          'texlive-prefix': { type: 'string' },
          'project-mount': { type: 'string' },
          'apply-cgroups': { type: 'string' },
          overlay: { type: 'string' },
          fakeroot: { type: 'boolean' },
          gpu: { type: 'boolean' },
          publish: { type: 'string', multiple: true, short: 'p' },
        },
        1,
      );
      const slurmFlags = ['partition', 'time', 'slurm-cpus', 'slurm-mem', 'gres'] as const;
      const strayFlag = slurmFlags.find((f) => values[f] !== undefined);
      if (!values.slurm && strayFlag) throw new UsageError(`--${strayFlag} needs --slurm`);
      const slurm = values.slurm
        ? Object.fromEntries(
            Object.entries({
              partition: values.partition,
              time: values.time,
              cpus: num('slurm-cpus', values['slurm-cpus']),
              memMiB: num('slurm-mem', values['slurm-mem']),
              gres: values.gres,
            }).filter(([, v]) => v !== undefined),
          )
        : undefined;
      const apptainer = Object.fromEntries(
        Object.entries({ texlivePrefix: values['texlive-prefix'], projectMount: values['project-mount'], applyCgroups: values['apply-cgroups'], overlay: values.overlay, fakeroot: values.fakeroot }).filter(([, v]) => v !== undefined),
      );
      if (!values.backend) throw new UsageError('--backend is required (podman, gvisor, bwrap or host)');
      const input = {
        name: positionals[0],
        backend: values.backend,
        image: values.image,
        project: values.project,
        cpus: num('cpus', values.cpus),
        memoryMiB: num('memory', values.memory),
        pids: num('pids', values.pids),
        diskQuotaMiB: num('disk-quota', values['disk-quota']),
        ttlSec: num('ttl', values.ttl),
        execTimeoutSec: num('exec-timeout', values['exec-timeout']),
        network: values.network,
        env: pairs('env', values.env),
        secrets: pairs('secret', values.secret, true),
        allowHost: values['allow-host'],
        bestEffortLimits: values['best-effort-limits'],
        start: values['no-start'] ? false : undefined,
        slurm,
        mounts: values.mount?.map(parseMount),
        devRepos: values['dev-repo']?.map(parseDevRepo),
        gpu: values.gpu,
        ports: values.publish?.map((p) => portSpec('--publish', p)),
        apptainer: Object.keys(apptainer).length ? apptainer : undefined,
      };
      // The CLI creates a missing project folder (its parent must exist) and says so below.
      const clean = Object.fromEntries(Object.entries({ ...input, createProject: values.project !== undefined ? true : undefined }).filter(([, v]) => v !== undefined)) as unknown as CreateWorkspaceInput;
      // A missing project folder is made only when its parent exists (resolveProjectFolder);
      // say so, on stderr, whether or not the rest of the create succeeds.
      const missingProject = values.project !== undefined && !existsSync(resolve(values.project)) ? resolve(values.project) : undefined;
      return withClient(async (c) => {
        let ws;
        try {
          ws = await c.call('workspaces.create', clean);
        } finally {
          if (missingProject && existsSync(missingProject)) process.stderr.write(`created ${missingProject}\n`);
        }
        print(values.json, ws, () => formatWorkspace(ws));
        return 0;
      });
    }
    case 'ls': {
      const { values } = parse(rest, {}, 0);
      return withClient(async (c) => {
        const list = await c.call('workspaces.list', {});
        print(values.json, list, () => formatWorkspaces(list));
        return 0;
      });
    }
    case 'status': {
      const { values, positionals } = parse(rest, {}, 1);
      return withClient(async (c) => {
        const ws = await c.call('workspaces.get', { workspace: positionals[0] as string });
        print(values.json, ws, () => formatWorkspace(ws));
        return 0;
      });
    }
    case 'console': {
      const { values, positionals } = parse(rest, { tail: { type: 'string' } }, 1);
      const tailBytes = num('--tail', values.tail);
      return withClient(async (c) => {
        const r = await c.call('workspaces.console', { workspace: positionals[0] as string, ...(tailBytes !== undefined ? { tailBytes } : {}) });
        print(values.json, r, () => r.text.replace(/\n$/, ''));
        return 0;
      });
    }
    case 'start':
    case 'stop':
    case 'rm': {
      const { values, positionals } = parse(rest, {}, 1);
      const workspace = positionals[0] as string;
      return withClient(async (c) => {
        if (command === 'rm') {
          const r = await c.call('workspaces.remove', { workspace });
          print(values.json, r, () => `removed ${r.name}`);
        } else {
          const ws = await c.call(command === 'start' ? 'workspaces.start' : 'workspaces.stop', { workspace });
          print(values.json, ws, () => `${ws.name}: ${ws.state}${ws.reason ? ` (${ws.reason})` : ''}`);
        }
        return 0;
      });
    }
    case 'exec':
      return execCommand(rest);
    case 'port':
      return portCommand(rest);
    case 'cp': {
      const { values, positionals } = parse(rest, {}, 2);
      return withClient(async (c) => {
        const r = await copyCommand(c, positionals[0] as string, positionals[1] as string, (msg) => new UsageError(msg));
        if (values.json) print(true, r, () => '');
        return 0;
      });
    }
    case 'logs': {
      const { values, positionals } = parse(
        rest,
        { seq: { type: 'string' }, stdout: { type: 'boolean' }, stderr: { type: 'boolean' }, jsonl: { type: 'boolean' }, 'with-output': { type: 'boolean' } },
        1,
      );
      const workspace = positionals[0] as string;
      const raw = values.stdout ? 'stdout' : values.stderr ? 'stderr' : null;
      const withOutput = values['with-output'] === true;
      if (values.jsonl && values.json) throw new UsageError('give one of --json and --jsonl');
      if (values.jsonl && values.seq !== undefined) throw new UsageError('--jsonl lists the journal; with --seq N use --json');
      if (withOutput && values.seq !== undefined) throw new UsageError('--with-output is for the list; --seq N --json always holds the outputs');
      if (withOutput && !values.json && !values.jsonl) throw new UsageError('--with-output needs --json or --jsonl');
      if (raw && (values.stdout && values.stderr)) throw new UsageError('give one of --stdout and --stderr');
      if (raw && values.seq === undefined) throw new UsageError(`--${raw} needs --seq N`);
      if (raw && values.json) throw new UsageError(`--${raw} writes the stored bytes as they are; it has no --json form`);
      return withClient(async (c) => {
        if (raw) {
          await writeStoredOutput(c, workspace, num('seq', values.seq) as number, raw);
          return 0;
        }
        if (values.seq !== undefined) {
          const e = await c.call('journal.get', { workspace, seq: num('seq', values.seq) as number });
          print(values.json, e, () => formatEntry(e));
        } else {
          const list = await c.call('journal.list', { workspace, limit: 10000 });
          const entries = withOutput ? await withOutputs(c, workspace, list) : list;
          if (values.jsonl) for (const e of entries) process.stdout.write(`${JSON.stringify(e)}\n`);
          else print(values.json, entries, () => formatJournal(list));
        }
        return 0;
      });
    }
    case 'serve': {
      const { values } = parse(rest, { host: { type: 'string' }, port: { type: 'string' }, 'allow-origin': { type: 'string', multiple: true } }, 0);
      const { serve, parseAllowedOrigin } = await import('../web/server');
      const allowOrigins = (values['allow-origin'] ?? []).map((o) => {
        try {
          return parseAllowedOrigin(o);
        } catch (err) {
          throw new UsageError(`--allow-origin: ${(err as Error).message}`);
        }
      });
      await serve({ home: defaultDataHome(), host: values.host ?? '127.0.0.1', port: num('port', values.port) ?? 0, allowOrigins });
      return await new Promise<number>(() => undefined); // Runs until killed.
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** `port add|rm|ls NAME [HOSTPORT:]PORT`: published ports of a workspace. */
async function portCommand(rest: string[]): Promise<number> {
  // The subcommand is the first word that is not a flag (`port --json ls NAME` as `port ls NAME --json`).
  const at = rest.findIndex((a) => !a.startsWith('-'));
  const sub = rest[at];
  const args = rest.filter((_, i) => i !== at);
  if (sub !== 'add' && sub !== 'rm' && sub !== 'ls') throw new UsageError(`port: expected add, rm or ls, got "${sub ?? ''}"`);
  const { values, positionals } = parse(args, {}, sub === 'ls' ? 1 : 2, sub === 'ls' ? 'workspace NAME' : 'NAME and [HOSTPORT:]PORT');
  const workspace = positionals[0] as string;
  return withClient(async (c) => {
    if (sub === 'ls') {
      const list = await c.call('ports.list', { workspace });
      print(values.json, list, () => formatPorts(list));
      return 0;
    }
    const req = portSpec(`port ${sub}`, positionals[1] as string);
    if (sub === 'add') {
      const p = await c.call('ports.add', { workspace, ...req });
      print(values.json, p, () => (p.listening ? `${p.url} -> ${p.port}` : `${workspace}: port ${p.port} recorded (${p.reason})`));
    } else {
      const left = await c.call('ports.remove', { workspace, ...req });
      print(values.json, left, () => `${workspace}: port ${req.port} no longer published`);
    }
    return 0;
  });
}

/** `benchtop image build|ls|rm`: the VM image store (QEMU workspaces). */
async function vmImageCommand(args: string[]): Promise<number> {
  // The subcommand is the first word that is no flag (`image --json ls` works as `image ls --json`).
  const at = args.findIndex((a) => !a.startsWith('-'));
  const sub = at < 0 ? undefined : args[at];
  const rest = args.filter((_, i) => i !== at);
  if (sub === 'ls') {
    const { values } = parse(rest, {}, 0);
    return withClient(async (c) => {
      const { images } = await c.call('vmImages.list', {});
      print(values.json, images, () => formatVmImages(images));
      return 0;
    });
  }
  if (sub === 'rm') {
    const { values, positionals } = parse(rest, {}, 1, 'image NAME or NAME@VERSION');
    return withClient(async (c) => {
      const { removed } = await c.call('vmImages.remove', { ref: positionals[0] as string });
      print(values.json, removed, () => removed.map((i) => `removed ${i.name}@${i.version}`).join('\n'));
      return 0;
    });
  }
  if (sub !== 'build') throw new UsageError(`image: expected build, ls or rm, got "${sub ?? ''}"`);
  const { values, positionals } = parse(rest, { from: { type: 'string' }, size: { type: 'string' }, kernel: { type: 'string' }, modules: { type: 'string' } }, 1, 'image NAME');
  if (values.from === undefined) throw new UsageError('--from is required: a root filesystem folder or a local podman image');
  // A folder that exists is given as its absolute path; anything else is a podman image name.
  const from = existsSync(values.from) ? resolve(values.from) : values.from;
  const path = (p: string | undefined) => (p === undefined ? undefined : resolve(p));
  return withClient(async (c) => {
    const buildId = randomUUID();
    const off = c.on('vmImage.buildProgress', (p) => {
      if (p.buildId === buildId && !values.json) process.stderr.write(`${p.line}\n`);
    });
    try {
      const size = num('size', values.size);
      const image = await c.call('vmImages.build', {
        name: positionals[0] as string,
        from,
        buildId,
        ...(size !== undefined ? { sizeMiB: size } : {}),
        ...(values.kernel !== undefined ? { kernel: path(values.kernel) } : {}),
        ...(values.modules !== undefined ? { modules: path(values.modules) } : {}),
      });
      print(values.json, image, () => `${image.name}@${image.version} sha256:${image.digest}`);
      return 0;
    } finally {
      off();
    }
  });
}

/** The backend given, else the first available one with an image store to pull into. */
async function imageBackend(c: BenchtopClient, given: string | undefined): Promise<BackendId> {
  if (given !== undefined) return given as BackendId; // validated by the contract
  const store = (await c.call('backends.list', {})).find((b) => b.available && b.descriptor.supports.pull);
  if (!store) throw new UsageError('--backend is required: no backend here keeps images to pull into');
  return store.id;
}

/**
 * An interactive shell in a workspace from this terminal, as `podman exec -it`
 * gives one: keys go through raw, the window size follows this terminal's, and
 * the shell's exit code is this command's. The session is journaled and
 * recorded like the app's terminals.
 */
async function shell(c: BenchtopClient, workspace: string, user: string | undefined): Promise<number> {
  const size = () => ({ cols: Math.min(1000, Math.max(2, process.stdout.columns || 80)), rows: Math.min(500, Math.max(1, process.stdout.rows || 24)) });
  const t = await c.call('terminals.open', { workspace, ...size(), title: 'cli shell', ...(user ? { user } : {}) });
  return new Promise<number>((resolve) => {
    const raw = process.stdin.isTTY === true;
    const offData = c.on('terminal.data', ({ id, data }) => {
      if (id !== t.id) return;
      process.stdout.write(data);
      void c.call('terminals.ack', { id, chars: data.length }).catch(() => undefined);
    });
    const onInput = (chunk: Buffer) => void c.call('terminals.write', { id: t.id, data: chunk.toString('utf8') }).catch(() => undefined);
    const onResize = () => void c.call('terminals.resize', { id: t.id, ...size() }).catch(() => undefined);
    const offChanged = c.on('terminal.changed', ({ terminal }) => {
      if (terminal.id !== t.id || terminal.running) return;
      offData();
      offChanged();
      process.stdin.off('data', onInput);
      process.stdout.off('resize', onResize);
      if (raw) process.stdin.setRawMode(false);
      process.stdin.pause();
      void c.call('terminals.close', { id: t.id }).catch(() => undefined);
      // The sandbox could not start the shell: one line, and 125 as podman says of its own failures.
      if (terminal.failure) {
        process.stderr.write(`benchtop: ${terminal.failure}\n`);
        resolve(EXEC_OWN_FAILURE);
      } else resolve(terminal.exitCode ?? 1);
    });
    if (raw) {
      process.stdin.setRawMode(true);
      // Node's raw mode keeps output processing (\n → \r\n): the shell's own terminal does that already.
      // setRawMode(false) below puts the whole saved setting back.
      execaSync('stty', ['-opost'], { stdin: 'inherit', stdout: 'ignore', stderr: 'ignore', reject: false });
    }
    process.stdin.on('data', onInput);
    process.stdin.resume();
    process.stdout.on('resize', onResize);
  });
}

async function execCommand(rest: string[]): Promise<number> {
  const dash = rest.indexOf('--');
  const own = dash === -1 ? rest : rest.slice(0, dash);
  const argv = dash === -1 ? undefined : rest.slice(dash + 1);
  const { values, positionals } = parse(
    own,
    {
      timeout: { type: 'string' },
      cwd: { type: 'string' },
      user: { type: 'string', short: 'u' },
      env: { type: 'string', multiple: true },
      c: { type: 'string', short: 'c' },
      interactive: { type: 'boolean', short: 'i' },
    },
    1,
  );
  if ((argv === undefined) === (values.c === undefined)) throw new UsageError("give the command after -- (argv) or as -c 'SHELL STRING', not both");
  if (argv !== undefined && argv.length === 0) throw new UsageError('nothing to run after --');
  const execId = randomUUID();
  // --json keeps the one-document shape (capped output inside it); otherwise output streams as it comes.
  const stream = !values.json;
  const input = Object.fromEntries(
    Object.entries({
      workspace: positionals[0],
      argv,
      shell: values.c,
      cwd: values.cwd,
      user: values.user,
      env: pairs('env', values.env),
      timeoutSec: num('timeout', values.timeout),
      execId,
      stream: stream || undefined,
      stdin: values.interactive || undefined,
    }).filter(([, v]) => v !== undefined),
  ) as { workspace: string };
  return withClient(async (c) => {
    let readerGone = false;
    if (stream) {
      c.on('exec.output', (o) => {
        if (o.execId !== execId || readerGone) return;
        (o.stream === 'stdout' ? process.stdout : process.stderr).write(Buffer.from(o.data, 'base64'));
      });
      // A reader that went away (`| head`) ends the command, as SIGPIPE would.
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE' || readerGone) return;
        readerGone = true;
        void c.call('exec.cancel', { execId }).catch(() => undefined);
      });
    }
    const result = c.call('exec.run', input);
    if (values.interactive) void forwardStdin(c, execId);
    try {
      const r = await result;
      if (values.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else if (r.warning) process.stderr.write(`benchtop: ${r.warning}\n`);
      return r.exitCode;
    } catch (err) {
      if (readerGone && err instanceof BenchtopError && err.code === 'CANCELLED') return SIGPIPE_EXIT;
      throw err;
    }
  });
}

/** The CLI's stdin to the command's (`exec -i`), chunk by chunk, each one written before the next is read. */
async function forwardStdin(c: BenchtopClient, execId: string): Promise<void> {
  try {
    for await (const chunk of process.stdin) {
      await c.call('exec.input', { execId, data: (chunk as Buffer).toString('base64') });
    }
    await c.call('exec.input', { execId, eof: true });
  } catch {
    // The command ended first: what is left of stdin is not its to read.
  }
}

/** Contract field names as the CLI user typed them. */
const FLAG_FOR_FIELD: Record<string, string> = {
  name: 'NAME',
  backend: '--backend',
  image: '--image',
  project: '--project',
  cpus: '--cpus',
  memoryMiB: '--memory',
  pids: '--pids',
  diskQuotaMiB: '--disk-quota',
  ttlSec: '--ttl',
  execTimeoutSec: '--exec-timeout',
  timeoutSec: '--timeout',
  network: '--network',
  allowHost: '--allow-host',
  env: '--env',
  secrets: '--secret',
  cwd: '--cwd',
  user: '--user',
  seq: '--seq',
  slurm: '--slurm',
  mounts: '--mount',
  devRepos: '--dev-repo',
  from: '--from',
  sizeMiB: '--size',
  kernel: '--kernel',
  modules: '--modules',
  gpu: '--gpu',
  ports: '--publish',
  apptainer: '--apptainer',
  'apptainer.applyCgroups': '--apply-cgroups',
  'apptainer.overlay': '--overlay',
  'apptainer.fakeroot': '--fakeroot',
  'apptainer.texlivePrefix': '--texlive-prefix',
  'apptainer.projectMount': '--project-mount',
  'slurm.partition': '--partition',
  'slurm.time': '--time',
  'slurm.cpus': '--slurm-cpus',
  'slurm.memMiB': '--slurm-mem',
  'slurm.gres': '--gres',
};

function errorLine(err: unknown): string {
  if (err instanceof UsageError) return `benchtop: ${err.message} (see benchtop --help)`;
  const data: ErrorData = err instanceof BenchtopError ? err.toData() : { code: 'INTERNAL', message: String((err as Error)?.message ?? err) };
  let message = data.message.split('\n')[0] ?? '';
  const field = typeof data.details?.field === 'string' ? data.details.field : undefined;
  const top = field?.split('.')[0];
  if (field && FLAG_FOR_FIELD[field] && message.startsWith(`${field}:`)) {
    message = `${FLAG_FOR_FIELD[field]}:${message.slice(field.length + 1)}`;
  } else if (field && top && FLAG_FOR_FIELD[top] && message.startsWith(`${field}:`)) {
    message = `${FLAG_FOR_FIELD[top]}${field.slice(top.length)}:${message.slice(field.length + 1)}`;
  }
  return `benchtop: ${message} [${data.code}]`;
}

/** The entries with their stored stdout and stderr as text (redacted as stored), as the UI's export writes them. */
async function withOutputs(c: BenchtopClient, workspace: string, list: JournalEntry[]): Promise<JournalEntryWithOutput[]> {
  const out: JournalEntryWithOutput[] = [];
  for (const e of list) {
    out.push(e.stdout || e.stderr ? await c.call('journal.get', { workspace, seq: e.seq }) : { ...e, stdoutText: '', stderrText: '' });
  }
  return out;
}

/** Writes one stored output stream of a journal entry to stdout, byte for byte, in slices. */
async function writeStoredOutput(c: BenchtopClient, workspace: string, seq: number, stream: 'stdout' | 'stderr'): Promise<void> {
  for (let offset = 0; ; ) {
    const part = await c.call('journal.readOutput', { workspace, seq, stream, offset, length: 4 * 1024 * 1024, encoding: 'base64' });
    const bytes = Buffer.from(part.data, 'base64');
    if (bytes.length) process.stdout.write(bytes);
    offset += bytes.length;
    if (part.eof || bytes.length === 0) return;
  }
}

/** Exits only after stdout and stderr are flushed: a pipe takes large output asynchronously. */
function flushAndExit(code: number): void {
  let pending = 2;
  const done = () => --pending === 0 && process.exit(code);
  process.stdout.write('', done);
  process.stderr.write('', done);
}

const args = process.argv.slice(2);
main(args).then(flushAndExit, (err: unknown) => {
  process.stderr.write(`${errorLine(err)}\n`);
  flushAndExit(args[0] === 'exec' || args[0] === 'shell' ? EXEC_OWN_FAILURE : err instanceof UsageError ? 2 : 1);
});
