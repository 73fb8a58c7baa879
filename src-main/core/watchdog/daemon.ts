/**
 * The watchdog: one detached process per data folder, started by the first
 * exec that finds none. Every second it looks for commands whose owner died
 * and ends them (see running.ts). It holds a lock while it lives, so there is
 * never more than one, and exits by itself after a while with nothing to watch.
 *
 *   node dist/watchdog.js DATA_FOLDER
 */
import lockfile from 'proper-lockfile';
import { createExecaRunner } from '../runner/runner';
import { hasRunning, reapOrphans } from './running';
import { watchdogLock, WATCHDOG_LOCK_OPTIONS } from './ensure';

const POLL_MS = 1000;
const IDLE_MS = (Number(process.env.BENCHTOP_WATCHDOG_IDLE) > 0 ? Number(process.env.BENCHTOP_WATCHDOG_IDLE) : 60) * 1000;

async function acquire(home: string): Promise<(() => Promise<void>) | null> {
  try {
    return await lockfile.lock(watchdogLock(home), {
      ...WATCHDOG_LOCK_OPTIONS,
      // Our lock was taken over (we were frozen past `stale`): another watchdog runs now.
      onCompromised: () => process.exit(0),
    });
  } catch {
    return null;
  }
}

async function main(home: string): Promise<void> {
  let release = await acquire(home);
  if (!release) return; // Another watchdog holds the folder.
  const runner = createExecaRunner();
  let idleSince = Date.now();
  for (;;) {
    await reapOrphans(home, runner).catch(() => 0);
    if (hasRunning(home)) idleSince = Date.now();
    else if (Date.now() - idleSince > IDLE_MS) {
      await release();
      // An exec that registered just now saw our lock and started no watchdog: stay for it.
      if (!hasRunning(home)) return;
      release = await acquire(home);
      if (!release) return;
      idleSince = Date.now();
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

const home = process.argv[2];
if (!home) {
  process.stderr.write('usage: watchdog.js DATA_FOLDER\n');
  process.exit(2);
}
main(home).then(
  () => process.exit(0),
  () => process.exit(1),
);
