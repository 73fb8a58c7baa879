/** The file browser's bit of tar, against real tars: GNU tar and BusyBox tar read what it packs, and it reads theirs. */
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { firstFileIn, tarOneFile } from '../../../../src-renderer/src/files/tar';
import { FIXTURE_ROOTFS } from '../../../helpers/fixtures';

const busybox = join(FIXTURE_ROOTFS, 'bin', 'busybox');
const dir = mkdtempSync(join(tmpdir(), 'benchtop-tar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data = randomBytes(70_001);
const long = `${'long-name-'.repeat(14)}é.bin`;

describe('tarOneFile', () => {
  for (const [tool, argv] of [
    ['GNU tar', ['tar']],
    ['BusyBox tar', [busybox, 'tar']],
  ] as const) {
    it(`packs a file ${tool} unpacks byte for byte, a name over 100 bytes included`, async () => {
      for (const name of ['plain.bin', long]) {
        const out = mkdtempSync(join(dir, 'x-'));
        const tar = Buffer.from(await tarOneFile(name, data, 1_700_000_000).arrayBuffer());
        const r = await execa(argv[0], [...argv.slice(1), '-x', '-f', '-', '-C', out], { input: tar, reject: false });
        expect([r.exitCode, r.stderr]).toEqual([0, '']);
        expect(readFileSync(join(out, name)).equals(data)).toBe(true);
        expect((statSync(join(out, name)).mode & 0o777).toString(8)).toBe('644');
      }
    });
  }
});

describe('firstFileIn', () => {
  it("takes the file out of GNU tar's and BusyBox tar's streams, long names included", async () => {
    for (const name of ['plain.bin', long]) {
      writeFileSync(join(dir, name), data);
      for (const argv of [['tar'], [busybox, 'tar']]) {
        const r = await execa(argv[0] as string, [...argv.slice(1), '-c', '-f', '-', '-C', dir, `./${name}`], { encoding: 'buffer' });
        const file = firstFileIn(new Uint8Array(r.stdout as Uint8Array));
        expect(file?.name).toBe(name);
        expect(Buffer.from(file?.data ?? []).equals(data)).toBe(true);
      }
    }
  });

  it('finds nothing in a stream of only a folder', async () => {
    const r = await execa('tar', ['-c', '-f', '-', '--no-recursion', '-C', dir, '.'], { encoding: 'buffer' });
    expect(firstFileIn(new Uint8Array(r.stdout as Uint8Array))).toBeNull();
  });
});
