/**
 * Create a workspace: backends as detected (version, what they enforce, hints),
 * image, project, limits, TTL, network, env and masked secrets. Host mode only
 * behind an explicit "no isolation" confirmation. Validation comes from the
 * contract: the message names the field, and the field is marked.
 */
import { useMemo, useState, type FormEvent } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import type { BackendId, BackendInfo, CreateWorkspaceInput, Workspace } from '../../../src-preload/contract';
import { BenchtopError } from '../../../src-preload/contract';

interface Props {
  client: BenchtopClient;
  backends: BackendInfo[] | null;
  onClose: () => void;
  onCreated: (ws: Workspace) => void;
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

export function CreateDialog({ client, backends, onClose, onCreated }: Props) {
  const firstAvailable = backends?.find((b) => b.available && b.id !== 'host')?.id ?? 'bwrap';
  const [backend, setBackend] = useState<BackendId>(firstAvailable);
  const [name, setName] = useState('');
  const [image, setImage] = useState('');
  const [project, setProject] = useState('');
  const [cpus, setCpus] = useState('');
  const [memory, setMemory] = useState('');
  const [pids, setPids] = useState('');
  const [ttl, setTtl] = useState('');
  const [network, setNetwork] = useState<'none' | 'full'>('none');
  const [envText, setEnvText] = useState('');
  const [secrets, setSecrets] = useState<{ key: string; value: string }[]>([]);
  const [bestEffort, setBestEffort] = useState(false);
  const [inSlurm, setInSlurm] = useState(false);
  const [slurm, setSlurm] = useState({ partition: '', time: '01:00:00', cpus: '', memMiB: '', gres: '' });
  const [hostConfirmed, setHostConfirmed] = useState(false);
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  /** A project folder that does not exist yet: creating it is the user's call. */
  const [missingProject, setMissingProject] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);

  const info = useMemo(() => backends?.find((b) => b.id === backend), [backends, backend]);
  const fieldClass = (f: string) => (error?.field === f ? 'field invalid' : 'field');

  const submit = async (e: FormEvent, createProject = false) => {
    e.preventDefault();
    setMissingProject(null);
    const { env, bad } = parseEnv(envText);
    if (bad !== null) return setError({ message: `env: expected KEY=VALUE, got "${bad.split('=')[0]}"`, field: 'env' });
    if (backend === 'host' && !hostConfirmed) return setError({ message: 'allowHost: confirm that this workspace has no isolation', field: 'allowHost' });
    const secretMap = Object.fromEntries(secrets.filter((s) => s.key.trim()).map((s) => [s.key.trim(), s.value]));
    const input: CreateWorkspaceInput = {
      name: name.trim(),
      backend,
      ...(image.trim() ? { image: image.trim() } : {}),
      ...(project.trim() ? { project: project.trim() } : {}),
      ...(createProject ? { createProject: true } : {}),
      ...(num(cpus) !== undefined ? { cpus: num(cpus) } : {}),
      ...(num(memory) !== undefined ? { memoryMiB: num(memory) } : {}),
      ...(num(pids) !== undefined ? { pids: num(pids) } : {}),
      ...(num(ttl) !== undefined ? { ttlSec: Math.round((num(ttl) as number) * 60) } : {}),
      network,
      ...(Object.keys(env).length ? { env } : {}),
      ...(Object.keys(secretMap).length ? { secrets: secretMap } : {}),
      ...(bestEffort ? { bestEffortLimits: true } : {}),
      ...(backend === 'host' ? { allowHost: true } : {}),
      ...(inSlurm
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
      const be = err as BenchtopError;
      if (be.code === 'INVALID_INPUT' && typeof be.details?.missing === 'string') setMissingProject(be.details.missing);
      setError({ message: be.message, field: typeof be.details?.field === 'string' ? be.details.field.split('.')[0] : undefined });
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <div className="modal-backdrop" role="dialog" aria-modal="true" aria-labelledby="create-title">
      <form className="modal" onSubmit={submit} data-testid="create-dialog">
        <h3 id="create-title">New workspace</h3>
        <div className="backend-choices">
          {(backends ?? []).map((b) => (
            <label key={b.id} className={`backend-choice ${backend === b.id ? 'selected' : ''} ${b.available ? '' : 'unavailable'}`} data-testid={`backend-${b.id}`}>
              <input type="radio" name="backend" value={b.id} checked={backend === b.id} disabled={!b.available} onChange={() => setBackend(b.id)} />
              <strong>{b.id}</strong>
              <span className="muted">{b.available ? b.version : 'not available'}</span>
              <span className="small">{b.capabilities.isolation === 'none' ? 'no isolation' : `isolation: ${b.capabilities.isolation}`} · enforces {b.capabilities.enforcedLimits.join(', ') || 'no limits'}</span>
              {b.hint && <span className="small hint">{b.hint}</span>}
            </label>
          ))}
        </div>
        {backend === 'host' && (
          <label className="danger-box">
            <input type="checkbox" checked={hostConfirmed} onChange={(e) => setHostConfirmed(e.target.checked)} data-testid="confirm-host" /> I understand: a host workspace has <strong>no isolation</strong> — commands run as me, on this machine, with my files and network.
          </label>
        )}
        <div className="form-grid">
          <label className={fieldClass('name')}>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="analysis-1" autoFocus required data-testid="ws-name" />
          </label>
          <label className={fieldClass('image')}>
            Image {backend === 'podman' || backend === 'gvisor' ? '(local image or rootfs folder)' : '(rootfs folder, optional)'}
            <input value={image} onChange={(e) => setImage(e.target.value)} disabled={backend === 'host'} placeholder={backend === 'bwrap' ? 'host system' : 'localhost/image:tag or /path/to/rootfs'} data-testid="ws-image" />
          </label>
          <label className={`${fieldClass('project')} wide`}>
            Project folder (mounted read-write at /workspace)
            <input value={project} onChange={(e) => setProject(e.target.value)} placeholder="a new folder inside the workspace" data-testid="ws-project" />
          </label>
          <label className={fieldClass('cpus')}>
            CPUs
            <input value={cpus} onChange={(e) => setCpus(e.target.value)} inputMode="decimal" placeholder="no limit" />
          </label>
          <label className={fieldClass('memoryMiB')}>
            Memory (MiB)
            <input value={memory} onChange={(e) => setMemory(e.target.value)} inputMode="numeric" placeholder="no limit" />
          </label>
          <label className={fieldClass('pids')}>
            Processes
            <input value={pids} onChange={(e) => setPids(e.target.value)} inputMode="numeric" placeholder="no limit" />
          </label>
          <label className={fieldClass('ttlSec')}>
            Time to live (minutes)
            <input value={ttl} onChange={(e) => setTtl(e.target.value)} inputMode="numeric" placeholder="forever" />
          </label>
          <label className={fieldClass('network')}>
            Network
            <select value={network} onChange={(e) => setNetwork(e.target.value as 'none' | 'full')}>
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
          <label className="field check wide">
            <input type="checkbox" checked={inSlurm} disabled={backend === 'host'} onChange={(e) => setInSlurm(e.target.checked)} data-testid="ws-slurm" /> run inside a SLURM allocation (sbatch; terminals attach with srun)
          </label>
          {inSlurm && (
            <div className={`${fieldClass('slurm')} wide slurm-grid`}>
              <label>
                Partition
                <input value={slurm.partition} onChange={(e) => setSlurm({ ...slurm, partition: e.target.value })} placeholder="default" />
              </label>
              <label>
                Time limit
                <input value={slurm.time} onChange={(e) => setSlurm({ ...slurm, time: e.target.value })} placeholder="HH:MM:SS" />
              </label>
              <label>
                CPUs
                <input value={slurm.cpus} onChange={(e) => setSlurm({ ...slurm, cpus: e.target.value })} inputMode="numeric" placeholder="1" />
              </label>
              <label>
                Memory (MiB)
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
            <textarea value={envText} onChange={(e) => setEnvText(e.target.value)} rows={2} className="mono" />
          </label>
          <div className={`${fieldClass('secrets')} wide`}>
            Secrets (stored in the keyring or a 0600 file, redacted everywhere)
            {secrets.map((s, i) => (
              <div className="secret-row" key={i}>
                <input placeholder="KEY" value={s.key} onChange={(e) => setSecrets(secrets.map((x, j) => (j === i ? { ...x, key: e.target.value } : x)))} className="mono" />
                <input type="password" placeholder="value" autoComplete="off" value={s.value} onChange={(e) => setSecrets(secrets.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))} />
                <button type="button" onClick={() => setSecrets(secrets.filter((_, j) => j !== i))} aria-label="remove secret">
                  ×
                </button>
              </div>
            ))}
            <button type="button" onClick={() => setSecrets([...secrets, { key: '', value: '' }])}>
              Add secret
            </button>
          </div>
        </div>
        {error && (
          <p className="error" role="alert" data-testid="create-error">
            {error.message}
          </p>
        )}
        {missingProject && (
          <p className="confirm-box" data-testid="confirm-project">
            The folder <code>{missingProject}</code> does not exist.{' '}
            <button type="button" className="primary" disabled={submitting} onClick={(e) => void submit(e, true)} data-testid="create-project-folder">
              Create the folder and the workspace
            </button>
          </p>
        )}
        <footer>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button className="primary" type="submit" disabled={submitting} data-testid="create-submit">
            {submitting ? (inSlurm ? 'Waiting for the allocation…' : 'Creating…') : 'Create and start'}
          </button>
        </footer>
      </form>
    </div>
  );
}
