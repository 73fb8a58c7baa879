/** What is installed, in which version, what it isolates and enforces — and how to fix what isn't there. */
import type { BackendInfo } from '../../../src-preload/contract';

export function BackendsPage({ backends }: { backends: BackendInfo[] | null }) {
  return (
    <section className="page">
      <header className="page-head">
        <h2>Backends</h2>
      </header>
      {backends === null ? (
        <p>Detecting…</p>
      ) : (
        <div className="backend-cards" data-testid="backends">
          {backends.map((b) => (
            <article key={b.id} className={`card ${b.available ? '' : 'unavailable'}`} data-testid="backend-card" data-backend={b.id}>
              <h3>
                {b.descriptor.label} <span className="muted mono small">{b.id}</span> <span className={`badge ${b.available ? 'state-running' : 'state-failed'}`}>{b.available ? 'available' : 'not available'}</span>
              </h3>
              <p className="small">{b.descriptor.summary}</p>
              <p className="mono small">{b.version ?? '—'}</p>
              <ul className="small">
                <li>Isolation: {b.capabilities.isolation === 'none' ? 'none (host processes)' : b.capabilities.isolation}</li>
                <li>Enforces: {b.capabilities.enforcedLimits.length ? b.capabilities.enforcedLimits.join(', ') : 'no cpu/memory/pids limits'}</li>
                {/* Why the backend does not hold it itself is on each workspace's overview (and in the title). */}
                <li data-testid="backend-disk-quota" title={b.descriptor.disk.why ?? undefined}>
                  Disk quota: {b.descriptor.disk.quota === 'enforced' ? 'enforced by the backend' : 'checked before each command'}
                </li>
                <li>Network: {b.capabilities.network.join(' or ')}</li>
                <li>Images: {b.descriptor.image.kinds}</li>
                <li>Project: {b.descriptor.projectPath ?? 'used in place'}</li>
                <li>GPU: {b.capabilities.gpu ? 'yes' : 'no'}</li>
                {b.capabilities.rootless !== undefined && <li>Mode: {b.capabilities.rootless ? 'rootless' : 'rootful'}</li>}
              </ul>
              {b.hint && <p className={b.available ? 'hint' : 'fix'}>{b.available ? b.hint : `How to fix: ${b.hint}`}</p>}
            </article>
          ))}
        </div>
      )}
    </section>
  );
}
