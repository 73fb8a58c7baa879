/** Secrets in the OS keyring (Secret Service), for real: nothing under the data folder holds them. */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ExecResult, Workspace } from '../../src-preload/contract';
import { cli, cliJson, cleanup, tempDir } from '../helpers/cli';
import { grepTree } from '../helpers/inspect';
import { startKeyring, type KeyringSession } from '../helpers/keyring';
import { describeWith } from '../helpers/runtime';

describeWith('keyring', 'secrets in the OS keyring', () => {
  let home: string;
  let dir: string;
  let keyring: KeyringSession;
  const opts = () => ({ home, env: keyring.env });

  beforeAll(async () => {
    home = tempDir('home');
    dir = tempDir('keyring');
    keyring = await startKeyring(dir);
  });
  afterAll(async () => {
    await keyring.stop();
    cleanup(home, dir);
  });

  it('keeps a secret only in the keyring, still redacts it, and still hands it to the sandbox', async () => {
    const secret = 'kEyRiNg-value-5150';
    await cliJson<Workspace>(['create', 'kr', '--backend', 'bwrap', '--secret', `HF_TOKEN=${secret}`], opts());
    expect(existsSync(join(home, 'secrets', 'secrets.json'))).toBe(false);
    expect(grepTree(home, [secret])).toEqual([]);
    const stored = await execa('secret-tool', ['lookup', 'service', 'benchtop', 'home', home], { env: keyring.env, extendEnv: false });
    expect(stored.stdout).toContain(secret);
    const r = await cliJson<ExecResult>(['exec', 'kr', '-c', `test "$HF_TOKEN" = '${secret}' && echo match; echo "$HF_TOKEN"`], opts());
    // The command line itself contains the value, so it too is redacted in what is returned.
    expect(r.stdout).toBe('match\n<redacted>\n');
    expect(grepTree(home, [secret])).toEqual([]);
    await cli(['rm', 'kr'], opts());
    const gone = await execa('secret-tool', ['lookup', 'service', 'benchtop', 'home', home], { env: keyring.env, extendEnv: false, reject: false });
    expect(gone.stdout).not.toContain(secret);
  });
});
