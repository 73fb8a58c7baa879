/**
 * What can be done to the selected workspaces at once (Stop, Delete), the
 * progress of a run, and its report: every failure by name, in one list.
 */
import type { Workspace } from '../../../src-preload/contract';
import type { BulkProgress, BulkReport } from './useBulkActions';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const VERB = { stop: { doing: 'Stopping', done: 'Stopped' }, remove: { doing: 'Deleting', done: 'Deleted' } } as const;

interface BarProps {
  selected: readonly Workspace[];
  /** The selected workspaces that Stop applies to. */
  stoppable: readonly Workspace[];
  progress: BulkProgress | null;
  onStop: () => void;
  onDelete: () => void;
  onClear: () => void;
}

export function BulkBar({ selected, stoppable, progress, onStop, onDelete, onClear }: BarProps) {
  const skipped = selected.length - stoppable.length;
  return (
    <div className="bulk-bar" role="region" aria-label="Selected workspaces" data-testid="bulk-bar">
      <strong data-testid="bulk-count">{selected.length} selected</strong>
      {progress ? (
        <span className="bulk-progress" role="status" data-testid="bulk-progress">
          {/* The one being worked on: “Stopping 2 of 3…” once the first is done. */}
          {VERB[progress.kind].doing} {Math.min(progress.done + 1, progress.total)} of {progress.total}…
        </span>
      ) : (
        <>
          <button onClick={onStop} disabled={stoppable.length === 0} data-testid="bulk-stop" aria-describedby={skipped > 0 ? 'bulk-skipped' : undefined}>
            Stop {stoppable.length}
          </button>
          {skipped > 0 && (
            <span className="muted small" id="bulk-skipped" data-testid="bulk-skipped">
              {skipped} not running, skipped
            </span>
          )}
          <button className="danger" onClick={onDelete} data-testid="bulk-delete">
            Delete {selected.length}
          </button>
          <button className="link" onClick={onClear} data-testid="bulk-clear">
            Clear selection
          </button>
        </>
      )}
    </div>
  );
}

export function BulkReportView({ report, onDismiss }: { report: BulkReport; onDismiss: () => void }) {
  const verb = VERB[report.kind].done;
  const failed = report.failures.length;
  const summary =
    failed === 0
      ? `${verb} ${plural(report.succeeded, 'workspace')}.`
      : `${verb} ${report.succeeded} of ${report.total}; ${failed} failed:`;
  return (
    <div className={failed ? 'bulk-report error' : 'bulk-report'} role={failed ? 'alert' : 'status'} data-testid="bulk-report">
      <div className="bulk-report-head">
        <span data-testid="bulk-summary">
          {summary}
          {report.skipped > 0 && ` ${plural(report.skipped, 'workspace')} not running, skipped.`}
        </span>
        <button className="link" onClick={onDismiss} aria-label="Dismiss report">
          ×
        </button>
      </div>
      {failed > 0 && (
        <ul className="bulk-failures" data-testid="bulk-failures">
          {report.failures.map((f) => (
            <li key={f.name}>
              <strong className="mono">{f.name}</strong>: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
