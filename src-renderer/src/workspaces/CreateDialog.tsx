/**
 * Create a workspace: backends as detected (version, what they enforce, hints),
 * image, project, limits, TTL, network, env and masked secrets. Host mode only
 * behind an explicit "no isolation" confirmation. Validation comes from the
 * contract, told in the form's words (formErrors.ts), and the field is marked.
 *
 * A native modal <dialog> (showModal): focus stays inside, Escape and a click
 * on the backdrop cancel, focus returns where it was. The backends are a real
 * radio group (arrow keys move between them). The body scrolls; the footer with
 * the error and the actions stays in view.
 */
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { useModal } from '../useModal';
import type { BenchtopClient } from '../../../src-preload/client';
import { BACKEND_IDS, type BackendId, type BackendInfo, type CreateWorkspaceInput, type SlurmPartition, type Workspace } from '../../../src-preload/contract';
import { FolderBrowser } from './FolderBrowser';
import { CONFIRM_HOST, formError, type FormError } from './formErrors';
import { ImagePicker } from './ImagePicker';
import { nameFromFolder, suggestName } from './suggestName';

interface Props {
  client: BenchtopClient;
  backends: BackendInfo[] | null;
  onClose: () => void;
  onCreated: (ws: Workspace) => void;
  /** Names already in use, so the suggested name is free. */
  taken: string[];
}

function parseEnv(text: string): { env: Record<string, string>; bad: string | null } {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { env, bad: line };
    env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return { env, bad: null };
}

const num = (s: string): number | undefined => (s.trim() === '' ? undefined : Number(s));

/**
 * What the image field says for a backend, as its descriptor puts it: nothing
 * (it runs no image), required (a filesystem of its own) or optional (it has
 * a default system).
 */
function imageField(info: BackendInfo | undefined): { shown: boolean; label: string; placeholder: string } {
  const d = info?.descriptor.image;
  if (!d || d.use === 'none') return { shown: false, label: '', placeholder: '' };
  return { shown: true, label: `Image: ${d.kinds}`, placeholder: d.use === 'optional' ? 'empty: the default' : d.example ? `e.g. ${d.example}` : '' };
}

export function CreateDialog({ client, backends, onClose, onCreated, taken }: Props) {
  const firstAvailable = backends?.find((b) => b.available && !b.descriptor.needsConsent)?.id ?? BACKEND_IDS[0];
  const [backend, setBackend] = useState<BackendId>(firstAvailable);
  const [name, setName] = useState(() => suggestName(taken));
  /** The user typed a name: picking a folder no longer renames. */
  const [nameEdited, setNameEdited] = useState(false);
  const [browsing, setBrowsing] = useState(false);
  const [partitions, setPartitions] = useState<SlurmPartition[]>([]);
  const [image, setImage] = useState('');
  const [project, setProject] = useState('');
  const [cpus, setCpus] = useState('');
  const [memory, setMemory] = useState('');
  const [pids, setPids] = useState('');
  const [diskQuota, setDiskQuota] = useState('');
  const [ttl, setTtl] = useState('');
  const [network, setNetwork] = useState<'none' | 'full'>('none');
  const [envText, setEnvText] = useState('');
  const [secrets, setSecrets] = useState<{ key: string; value: string }[]>([]);
  const [bestEffort, setBestEffort] = useState(false);
  const [gpu, setGpu] = useState(false);
  const [inSlurm, setInSlurm] = useState(false);
  const [slurm, setSlurm] = useState({ partition: '', time: '01:00:00', cpus: '', memMiB: '', gres: '' });
  const [hostConfirmed, setHostConfirmed] = useState(false);
  const [error, setError] = useState<FormError | null>(null);
  /** A project folder that does not exist yet: creating it is the user's call. */
  const [missingProject, setMissingProject] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const dialogRef = useRef<HTMLDialogElement>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const bodyRef = useRef<HTMLDivElement>(null);
  /** Where a press began: a drag from a field out onto the backdrop is not a click on it. */
  const pressedOnBackdrop = useRef(false);

  const info = useMemo(() => backends?.find((b) => b.id === backend), [backends, backend]);
  /** The host backend: no sandbox, no image, the project used in place, no SLURM. */
  const inPlace = info?.descriptor.projectPath === null;
  const slurmOk = info?.descriptor.supports.slurm ?? false;
  const size = info?.descriptor.sizeDefaults;
  const img = imageField(info);
  const fieldClass = (f: string) => (error?.field === f ? 'field invalid' : 'field');
  const invalid = (f: string) => (error?.field === f ? { 'aria-invalid': true as const, 'aria-describedby': 'create-error' } : {});

  useModal(dialogRef, nameRef);

  // SLURM's partitions, once the user asks for SLURM (free text still allowed).
  useEffect(() => {
    if (!inSlurm || partitions.length) return;
    client.call('slurm.partitions', {}).then((r) => setPartitions(r.partitions), () => undefined);
  }, [client, inSlurm, partitions.length]);

  /** A folder chosen by browsing: the project, and the name follows it unless the user typed one. */
  const pickProject = (path: string) => {
    setProject(path);
    if (!nameEdited) setName(nameFromFolder(path, taken) ?? name);
  };
  const browse = async () => {
    // The desktop app has the system's dialog; the browser host browses on the server.
    if (window.benchtop) {
      try {
        const r = await client.call('host.pickFolder', { title: 'Choose a project folder', ...(project.trim().startsWith('/') ? { defaultPath: project.trim() } : {}) });
        if (r.path) pickProject(r.path);
        return;
      } catch {
        // Fall back to the folder browser.
      }
    }
    setBrowsing(true);
  };

  // A field the contract refused is brought into view and focused; the message is in the footer.
  useEffect(() => {
    if (!error?.field) return;
    const el = bodyRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    el?.scrollIntoView({ block: 'nearest' });
    el?.focus();
  }, [error]);

  const submit = async (e: FormEvent, createProject = false) => {
    e.preventDefault();
    setMissingProject(null);
    const { env, bad } = parseEnv(envText);
    if (bad !== null) return setError({ message: `Environment: each line is KEY=VALUE; “${bad}” has no “=”`, field: 'env' });
    if (info?.descriptor.needsConsent && !hostConfirmed) return setError({ message: `Host backend: ${CONFIRM_HOST}.`, field: 'allowHost' });
    const secretMap = Object.fromEntries(secrets.filter((s) => s.key.trim()).map((s) => [s.key.trim(), s.value]));
    const input: CreateWorkspaceInput = {
      name: name.trim(),
      backend,
      ...(img.shown && image.trim() ? { image: image.trim() } : {}),
      ...(project.trim() ? { project: project.trim() } : {}),
      ...(createProject ? { createProject: true } : {}),
      ...(num(cpus) !== undefined ? { cpus: num(cpus) } : {}),
      ...(num(memory) !== undefined ? { memoryMiB: num(memory) } : {}),
      ...(num(pids) !== undefined ? { pids: num(pids) } : {}),
      ...(num(diskQuota) !== undefined ? { diskQuotaMiB: num(diskQuota) } : {}),
      ...(num(ttl) !== undefined ? { ttlSec: Math.round((num(ttl) as number) * 60) } : {}),
      network,
      ...(Object.keys(env).length ? { env } : {}),
      ...(Object.keys(secretMap).length ? { secrets: secretMap } : {}),
      ...(bestEffort ? { bestEffortLimits: true } : {}),
      ...(gpu && info?.capabilities.gpu ? { gpu: true } : {}),
      ...(info?.descriptor.needsConsent ? { allowHost: true } : {}),
      ...(inSlurm && slurmOk
        ? {
            slurm: {
              ...(slurm.partition.trim() ? { partition: slurm.partition.trim() } : {}),
              ...(slurm.time.trim() ? { time: slurm.time.trim() } : {}),
              ...(num(slurm.cpus) !== undefined ? { cpus: num(slurm.cpus) } : {}),
              ...(num(slurm.memMiB) !== undefined ? { memMiB: num(slurm.memMiB) } : {}),
              ...(slurm.gres.trim() ? { gres: slurm.gres.trim() } : {}),
            },
          }
        : {}),
    };
    setSubmitting(true);
    setError(null);
    try {
      onCreated(await client.call('workspaces.create', input));
    } catch (err) {
      const be = err as { code?: string; details?: Record<string, unknown> };
      if (be.code === 'INVALID_INPUT' && typeof be.details?.missing === 'string') {
        // Not a mistake to mark: a question, answered in the footer.
        setMissingProject(be.details.missing);
        setError(null);
      } else setError(formError(err as Error));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <dialog
      ref={dialogRef}
      className="modal"
      aria-labelledby="create-title"
      data-testid="create-dialog"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onMouseDown={(e) => (pressedOnBackdrop.current = e.target === e.currentTarget)}
      onClick={(e) => {
        if (e.target === e.currentTarget && pressedOnBackdrop.current) onClose();
      }}
    >
      <form className="modal-form" onSubmit={submit} noValidate>
        <h3 id="create-title">New workspace</h3>
        <div className="modal-body" ref={bodyRef}>
          <fieldset className="backend-choices">
            <legend>Backend</legend>
            {(backends ?? []).map((b) => (
              <label key={b.id} className={`backend-choice ${backend === b.id ? 'selected' : ''} ${b.available ? '' : 'unavailable'}`} data-testid={`backend-${b.id}`}>
                <input type="radio" name="backend" value={b.id} checked={backend === b.id} disabled={!b.available} onChange={() => setBackend(b.id)} />
                <strong>{b.id}</strong>
                <span className="muted">{b.available ? b.version : 'not available'}</span>
                <span className="small">
                  {b.capabilities.isolation === 'none' ? 'no isolation' : `isolation: ${b.capabilities.isolation}`} · enforces {b.capabilities.enforcedLimits.join(', ') || 'no limits'}
                </span>
                {b.hint && <span className="small hint">{b.hint}</span>}
              </label>
            ))}
          </fieldset>
          {info?.descriptor.needsConsent && (
            <label className={`danger-box ${error?.field === 'allowHost' ? 'invalid' : ''}`}>
              <input type="checkbox" checked={hostConfirmed} onChange={(e) => setHostConfirmed(e.target.checked)} data-testid="confirm-host" {...invalid('allowHost')} /> I understand: a host workspace has{' '}
              <strong>no isolation</strong> — commands run as me, on this machine, with my files and network.
            </label>
          )}
          <div className="form-grid">
            <label className={fieldClass('name')}>
              Name
              <input
                ref={nameRef}
                value={name}
                onChange={(e) => {
                  setName(e.target.value);
                  setNameEdited(true);
                }}
                placeholder="analysis-1"
                required data-testid="ws-name" {...invalid('name')} />
            </label>
            {img.shown && (
              <ImagePicker
                key={backend}
                client={client}
                backend={backend}
                label={img.label}
                placeholder={img.placeholder}
                value={image}
                onChange={setImage}
                invalid={error?.field === 'image'}
                errorId="create-error"
              />
            )}
            <div className={`${fieldClass('project')} wide`}>
              <label htmlFor="ws-project-input">{inPlace ? 'Project folder (used in place: commands run in it, as you)' : `Project folder (mounted read-write${info?.descriptor.projectPath ? ` at ${info.descriptor.projectPath}` : ''})`}</label>
              <div className="input-with-button">
                <input id="ws-project-input" value={project} onChange={(e) => setProject(e.target.value)} placeholder="empty: a new folder kept with the workspace" data-testid="ws-project" {...invalid('project')} />
                <button type="button" onClick={() => void browse()} data-testid="project-browse">
                  Browse…
                </button>
              </div>
            </div>
            {/* A VM always has a size: its fields say what it gets when left empty, not "no limit". */}
            <label className={fieldClass('cpus')}>
              {size ? 'vCPUs' : 'CPU limit'}
              <input value={cpus} onChange={(e) => setCpus(e.target.value)} inputMode={size ? 'numeric' : 'decimal'} placeholder={size ? `${size.cpus} (default)` : 'no limit'} {...invalid('cpus')} />
            </label>
            <label className={fieldClass('memoryMiB')}>
              {size ? 'Memory (MiB)' : 'Memory limit (MiB)'}
              <input value={memory} onChange={(e) => setMemory(e.target.value)} inputMode="numeric" placeholder={size ? `${size.memoryMiB} (default)` : 'no limit'} {...invalid('memoryMiB')} />
            </label>
            <label className={fieldClass('pids')}>
              Processes
              <input value={pids} onChange={(e) => setPids(e.target.value)} inputMode="numeric" placeholder="no limit" {...invalid('pids')} />
            </label>
            <label className={fieldClass('diskQuotaMiB')}>
              Disk quota (MiB)
              <input value={diskQuota} onChange={(e) => setDiskQuota(e.target.value)} inputMode="numeric" placeholder="no quota (e.g. 10240)" data-testid="ws-disk-quota" {...invalid('diskQuotaMiB')} />
            </label>
            <label className={fieldClass('ttlSec')}>
              Time to live (minutes)
              <input value={ttl} onChange={(e) => setTtl(e.target.value)} inputMode="numeric" placeholder="forever" {...invalid('ttlSec')} />
            </label>
            <label className={fieldClass('network')}>
              Network
              <select value={network} onChange={(e) => setNetwork(e.target.value as 'none' | 'full')} {...invalid('network')}>
                {(info?.capabilities.network ?? ['none', 'full']).map((n) => (
                  <option key={n} value={n}>
                    {n === 'none' ? 'none (offline)' : 'full'}
                  </option>
                ))}
              </select>
            </label>
            <label className="field check">
              <input type="checkbox" checked={bestEffort} onChange={(e) => setBestEffort(e.target.checked)} /> accept limits this backend cannot enforce (recorded as not enforced)
            </label>
            {info?.capabilities.gpu && (
              <label className={`${fieldClass('gpu')} check`}>
                <input type="checkbox" checked={gpu} onChange={(e) => setGpu(e.target.checked)} data-testid="ws-gpu" {...invalid('gpu')} /> all of this machine's GPUs
              </label>
            )}
            {slurmOk && (
              <label className="field check wide">
                <input type="checkbox" checked={inSlurm} onChange={(e) => setInSlurm(e.target.checked)} data-testid="ws-slurm" /> run inside a SLURM allocation (sbatch; terminals attach with srun)
              </label>
            )}
            {inSlurm && slurmOk && (
              <div className={`${fieldClass('slurm')} wide slurm-grid`}>
                <label>
                  Partition
                  <input
                    value={slurm.partition}
                    onChange={(e) => setSlurm({ ...slurm, partition: e.target.value })}
                    placeholder={partitions.find((p) => p.isDefault)?.name ?? 'default'}
                    list="slurm-partitions"
                    data-testid="slurm-partition"
                  />
                  <datalist id="slurm-partitions">
                    {partitions.map((p) => (
                      <option key={p.name} value={p.name}>
                        {`${p.name}${p.isDefault ? ' (default)' : ''} — ${p.state}, ${p.nodes} node${p.nodes === 1 ? '' : 's'}, limit ${p.timeLimit}`}
                      </option>
                    ))}
                  </datalist>
                </label>
                <label>
                  Time limit
                  <input value={slurm.time} onChange={(e) => setSlurm({ ...slurm, time: e.target.value })} placeholder="HH:MM:SS" />
                </label>
                <label>
                  CPUs per task (allocation)
                  <input value={slurm.cpus} onChange={(e) => setSlurm({ ...slurm, cpus: e.target.value })} inputMode="numeric" placeholder="1" />
                </label>
                <label>
                  Allocation memory (MiB)
                  <input value={slurm.memMiB} onChange={(e) => setSlurm({ ...slurm, memMiB: e.target.value })} inputMode="numeric" placeholder="default" />
                </label>
                <label>
                  GRES
                  <input value={slurm.gres} onChange={(e) => setSlurm({ ...slurm, gres: e.target.value })} placeholder="gpu:1" />
                </label>
              </div>
            )}
            <label className={`${fieldClass('env')} wide`}>
              Environment (KEY=VALUE per line; keys like *_TOKEN are treated as secrets)
              <textarea value={envText} onChange={(e) => setEnvText(e.target.value)} rows={2} className="mono" {...invalid('env')} />
            </label>
            <fieldset className={`${fieldClass('secrets')} wide`}>
              <legend>Secrets (stored in the keyring or a 0600 file, redacted everywhere)</legend>
              {secrets.map((s, i) => (
                <div className="secret-row" key={i}>
                  <input aria-label={`secret ${i + 1} name`} placeholder="KEY" value={s.key} onChange={(e) => setSecrets(secrets.map((x, j) => (j === i ? { ...x, key: e.target.value } : x)))} className="mono" />
                  <input aria-label={`secret ${i + 1} value`} type="password" placeholder="value" autoComplete="off" value={s.value} onChange={(e) => setSecrets(secrets.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))} />
                  <button type="button" onClick={() => setSecrets(secrets.filter((_, j) => j !== i))} aria-label={`remove secret ${i + 1}`}>
                    ×
                  </button>
                </div>
              ))}
              <button type="button" className="add-secret" onClick={() => setSecrets([...secrets, { key: '', value: '' }])}>
                Add secret
              </button>
            </fieldset>
          </div>
        </div>
        <footer className="modal-footer">
          {error && (
            <p className="error" role="alert" id="create-error" data-testid="create-error">
              {error.message}
            </p>
          )}
          {missingProject && (
            <p className="confirm-box" role="alert" data-testid="confirm-project">
              The folder <code>{missingProject}</code> does not exist.{' '}
              <button type="button" className="primary" disabled={submitting} onClick={(e) => void submit(e, true)} data-testid="create-project-folder">
                Create the folder and the workspace
              </button>
            </p>
          )}
          <div className="modal-actions">
            <button type="button" onClick={onClose} data-testid="create-cancel">
              Cancel
            </button>
            <button className="primary" type="submit" disabled={submitting} data-testid="create-submit">
              {submitting ? (inSlurm && slurmOk ? 'Waiting for the allocation…' : 'Creating…') : 'Create and start'}
            </button>
          </div>
        </footer>
      </form>
      {browsing && (
        <FolderBrowser
          client={client}
          start={project.trim().startsWith('/') ? project.trim() : undefined}
          onClose={() => setBrowsing(false)}
          onPick={(path) => {
            setBrowsing(false);
            pickProject(path);
          }}
        />
      )}
    </dialog>
  );
}
