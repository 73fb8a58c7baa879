/** A private D-Bus session with an unlocked gnome-keyring, for testing the keyring secret store for real. */
import { execa } from 'execa';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface KeyringSession {
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startKeyring(dir: string): Promise<KeyringSession> {
  const home = join(dir, 'home');
  const runtime = join(dir, 'run');
  mkdirSync(home, { recursive: true });
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  const base = { HOME: home, XDG_RUNTIME_DIR: runtime, PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const bus = await execa('dbus-daemon', ['--session', '--fork', '--print-address=1', '--print-pid=1'], { env: base, extendEnv: false });
  const [address, pid] = bus.stdout.trim().split('\n');
  const env = { ...base, DBUS_SESSION_BUS_ADDRESS: address as string };
  // --unlock reads the login password on stdin and creates the default keyring with it.
  await execa('gnome-keyring-daemon', ['--unlock', '--components=secrets', '--daemonize'], { env, extendEnv: false, input: 'benchtop-test' });
  return {
    env,
    async stop() {
      await execa('pkill', ['-f', `gnome-keyring-daemon.*`], { reject: false, env });
      try {
        process.kill(Number(pid), 'SIGTERM');
      } catch {
        // already gone
      }
    },
  };
}
