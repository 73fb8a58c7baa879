/**
 * A workspace's published ports: each with Open (http://127.0.0.1:HOSTPORT/)
 * and Remove, and a form to publish one more. For a backend that cannot
 * publish ports it says why (from its descriptor) instead.
 */
import { useCallback, useEffect, useState } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import { parsePortSpec, type PortStatus, type Workspace } from '../../../src-preload/contract';
import { useDescriptor } from '../backends/descriptors';

export function PortsPanel({ client, workspace: w }: { client: BenchtopClient; workspace: Workspace }) {
  const descriptor = useDescriptor(w.backend);
  const [ports, setPorts] = useState<PortStatus[] | null>(null);
  const [spec, setSpec] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(() => {
    client.call('ports.list', { workspace: w.id }).then(setPorts, (e: Error) => setError(e.message));
  }, [client, w.id]);
  // Again whenever the record changes (started, stopped, a port added elsewhere).
  useEffect(reload, [reload, w.updatedAt, w.state]);

  if (descriptor && !descriptor.supports.ports) {
    return (
      <section className="ports" aria-labelledby="ports-title">
        <h3 id="ports-title">Published ports</h3>
        <p className="muted" data-testid="ports-unsupported">{descriptor.portsNote}</p>
      </section>
    );
  }

  const add = (e: React.FormEvent) => {
    e.preventDefault();
    const req = parsePortSpec(spec);
    if ('error' in req) {
      setError(req.error);
      return;
    }
    setBusy(true);
    setError(null);
    client.call('ports.add', { workspace: w.id, ...req }).then(
      () => {
        setSpec('');
        setBusy(false);
        reload();
      },
      (err: Error) => {
        setBusy(false);
        setError(err.message);
      },
    );
  };
  const remove = (p: PortStatus) => {
    setError(null);
    client.call('ports.remove', { workspace: w.id, port: p.port }).then(setPorts, (err: Error) => setError(err.message));
  };

  return (
    <section className="ports" aria-labelledby="ports-title">
      <h3 id="ports-title">Published ports</h3>
      {ports && ports.length > 0 ? (
        <table className="grid" data-testid="ports-table">
          <thead>
            <tr>
              <th scope="col">On this machine</th>
              <th scope="col">Port inside</th>
              <th scope="col">Status</th>
              <th scope="col"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {ports.map((p) => (
              <tr key={p.port} data-testid={`port-${p.port}`}>
                <td className="mono">127.0.0.1:{p.hostPort ?? '?'}</td>
                <td className="mono">{p.port}</td>
                <td>{p.listening ? <span className="badge state-running">listening</span> : <span className="muted">{p.reason}</span>}</td>
                <td className="actions">
                  {p.url && (
                    <button type="button" onClick={() => window.open(p.url ?? '', '_blank', 'noopener')} aria-label={`Open ${p.url}`}>
                      Open
                    </button>
                  )}
                  <button type="button" className="danger" onClick={() => remove(p)} aria-label={`Remove port ${p.port}`}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">{ports ? 'None yet. A server inside listening on a port can be reached from this machine only through a published port.' : 'Loading…'}</p>
      )}
      <form className="ports-add" onSubmit={add}>
        <label className="field">
          Publish a port ([host port:]port inside)
          <input
            value={spec}
            onChange={(e) => setSpec(e.target.value)}
            placeholder="8080 or 18080:8080"
            inputMode="numeric"
            aria-invalid={error !== null}
            aria-describedby="ports-help"
            data-testid="port-spec"
          />
        </label>
        <button type="submit" disabled={busy || spec.trim() === ''}>
          {busy ? 'Publishing…' : 'Publish'}
        </button>
      </form>
      <p id="ports-help" className="muted small">
        On 127.0.0.1 only, even while the workspace has no network; without a host port a free one is picked.
      </p>
      {error && (
        <p className="error" role="alert" data-testid="ports-error">
          {error}
        </p>
      )}
    </section>
  );
}
