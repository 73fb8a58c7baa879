/**
 * "as USER" beside a command or a new terminal: run it as another user of the
 * workspace (a name or a uid), for tools that refuse to run as root. Shown
 * only where the backend can switch users (its descriptor says so); empty
 * means the workspace's default user.
 */
import type { Workspace } from '../../../src-preload/contract';
import { useDescriptor } from '../backends/descriptors';

export function AsUserField({ workspace, value, onChange, label, testId }: { workspace: Workspace; value: string; onChange(v: string): void; label: string; testId: string }) {
  const d = useDescriptor(workspace.backend);
  if (!d?.supports.userSwitch) return null;
  return (
    <label className="as-user" title="Run as this user of the workspace (a name or a uid); empty: the default user">
      <span>as</span>
      <input
        className="mono"
        value={value}
        onChange={(e) => onChange(e.target.value.trim())}
        placeholder="user"
        aria-label={label}
        autoComplete="off"
        spellCheck={false}
        maxLength={64}
        data-testid={testId}
      />
    </label>
  );
}
