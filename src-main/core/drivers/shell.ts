/** The interactive shell every sandbox terminal starts: bash when the image has it, else sh. Fixed text, no user input. */
export const LOGIN_SHELL_SCRIPT = 'if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi';
export const TERMINAL_TERM = 'xterm-256color';

/** A minimal host environment for launching a sandbox tool (podman needs PATH, HOME, XDG_RUNTIME_DIR). */
export function launcherEnv(extra: Record<string, string>): Record<string, string> {
  const keep = ['PATH', 'HOME', 'USER', 'LOGNAME', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'CONTAINERS_CONF', 'CONTAINERS_STORAGE_CONF', 'LANG'];
  const env: Record<string, string> = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k] as string;
  return { ...env, ...extra };
}
