/** The one question asked before workspaces are deleted, from the list (one or many) and from a workspace's page. */
import type { Workspace } from '../../../src-preload/contract';
import { ConfirmDialog } from '../ConfirmDialog';

interface Props {
  workspaces: readonly Workspace[];
  onConfirm: () => void;
  onCancel: () => void;
}

export function DeleteWorkspacesDialog({ workspaces, onConfirm, onCancel }: Props) {
  const n = workspaces.length;
  const one = n === 1 ? workspaces[0] : undefined;
  const running = workspaces.filter((w) => w.state === 'running' || w.state === 'starting').length;
  return (
    <ConfirmDialog
      title={one ? `Delete workspace “${one.name}”?` : `Delete ${n} workspaces?`}
      confirmLabel={one ? 'Delete workspace' : `Delete ${n} workspaces`}
      onConfirm={onConfirm}
      onCancel={onCancel}
    >
      {!one && (
        <ul className="confirm-names" aria-label="Workspaces to delete" data-testid="confirm-names">
          {workspaces.map((w) => (
            <li key={w.id} className="mono">
              {w.name}
            </li>
          ))}
        </ul>
      )}
      <p>
        {one ? 'Its sandbox, home and journal are deleted' : 'Their sandboxes, homes and journals are deleted'}
        {running > 0 ? ` (${running === n ? (one ? 'it is running and will be stopped' : 'they are running and will be stopped') : `${running} running will be stopped`})` : ''}.{' '}
        {one ? 'The project folder stays' : 'Project folders stay'} as they are. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}
