/**
 * The secret store never blocks the event loop: the Electron main process
 * that asks it also carries every terminal. A secret-tool that takes its time
 * (a locked keyring, a slow D-Bus) is stood in for by a script on PATH that
 * sleeps, then answers as secret-tool does; timers must go on firing while
 * it is asked, and callers at the same moment share one lookup.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretStore } from '../../src-main/core/secrets/store';

describe('secret store over a slow keyring', () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-slow-keyring-'));
  const calls = join(dir, 'calls');
  const saved = { PATH: process.env.PATH, DBUS: process.env.DBUS_SESSION_BUS_ADDRESS, FORCE: process.env.BENCHTOP_SECRET_STORE };

  beforeAll(() => {
    // Answers the probe (an unknown item: exit 1, nothing said) and the lookup (the stored JSON), slowly.
    writeFileSync(
      join(dir, 'secret-tool'),
      `#!/bin/sh\necho "$*" >> '${calls}'\nsleep 0.8\ncase "$*" in *probe*) exit 1;; esac\nprintf '%s' '{"ws1":{"HF_TOKEN":"slow-secret-4711"}}'\n`,
    );
    chmodSync(join(dir, 'secret-tool'), 0o755);
    process.env.PATH = `${dir}:${saved.PATH ?? '/usr/bin:/bin'}`;
    process.env.DBUS_SESSION_BUS_ADDRESS = 'unix:path=/nonexistent-for-test';
    delete process.env.BENCHTOP_SECRET_STORE;
  });
  afterAll(() => {
    process.env.PATH = saved.PATH;
    if (saved.DBUS === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    else process.env.DBUS_SESSION_BUS_ADDRESS = saved.DBUS;
    if (saved.FORCE !== undefined) process.env.BENCHTOP_SECRET_STORE = saved.FORCE;
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps timers firing while the keyring is probed and read; concurrent callers share one lookup', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const started = Date.now();
    const store = createSecretStore(join(dir, 'home'));
    try {
      const [one, all] = await Promise.all([store.get('ws1'), store.allValues()]);
      expect(one).toEqual({ HF_TOKEN: 'slow-secret-4711' });
      expect(all).toEqual(['slow-secret-4711']);
    } finally {
      clearInterval(timer);
    }
    const elapsed = Date.now() - started;
    // A probe and a lookup, each ~0.8 s: the loop was free the whole time (a blocking wait gives ~0 ticks).
    expect(elapsed).toBeGreaterThan(1500);
    expect(ticks).toBeGreaterThan((elapsed / 20) * 0.5);
    expect(store.location).toBe('the OS keyring (Secret Service)');
    const lines = readFileSync(calls, 'utf8').trim().split('\n');
    expect(lines.filter((l) => l.includes('probe'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('lookup service benchtop home'))).toHaveLength(1);
  });
});
