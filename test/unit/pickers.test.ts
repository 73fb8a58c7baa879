/**
 * The pure parts of the create form's pickers: podman's image list, a pull's
 * reference checks and failure line, the images used before, sinfo's
 * partitions, the host folder listing's rules, and the suggested names.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageRefSchema, type Workspace } from '../../src-preload/contract';
import { buildPullArgv, parseImagesJson } from '../../src-main/core/drivers/podman/argv';
import { checkTransportPath, pullFailure } from '../../src-main/core/drivers/podman/images';
import { listFolders } from '../../src-main/core/host/folders';
import { usedBefore } from '../../src-main/core/images/catalog';
import { parseSinfo } from '../../src-main/core/slurm/partitions';
import { nameFromFolder, suggestName } from '../../src-renderer/src/workspaces/suggestName';

describe('podman images', () => {
  it('lists each named image once (podman repeats an image per name), dangling ones never', () => {
    const one = { Id: 'aaa', Names: ['localhost/a:1', 'localhost/b:2'], Size: 2141361, Created: 1795809459, CreatedAt: '2026-11-27T19:57:39Z' };
    const text = JSON.stringify([one, one, { Id: 'bbb', Names: null, Dangling: true, Size: 5 }, { Id: 'ccc', Names: ['<none>:<none>'] }]);
    expect(parseImagesJson(text)).toEqual([{ id: 'aaa', names: ['localhost/a:1', 'localhost/b:2'], sizeBytes: 2141361, createdAt: '2026-11-27T19:57:39Z' }]);
    expect(parseImagesJson(JSON.stringify([{ Id: 'x', Names: ['n'], Created: 0 }]))[0]?.createdAt).toBe('1970-01-01T00:00:00.000Z');
  });

  it('ends options before the reference, which the contract refuses when it looks like a flag', () => {
    expect(buildPullArgv('oci-archive:/a.tar')).toEqual(['pull', '--', 'oci-archive:/a.tar']);
    expect(imageRefSchema.safeParse('--tls-verify=false').success).toBe(false);
    expect(imageRefSchema.safeParse('a b').success).toBe(false);
    expect(imageRefSchema.safeParse('a\nb').success).toBe(false);
    expect(imageRefSchema.safeParse('docker.io/library/python:3.12').success).toBe(true);
  });

  it('checks a file transport’s path before pulling; registry references pass through', () => {
    const exists = (p: string) => p === '/data/img.tar' || p === '/data/dir:with:colons';
    expect(() => checkTransportPath('oci-archive:/data/img.tar', exists)).not.toThrow();
    expect(() => checkTransportPath('oci-archive:/data/img.tar:localhost/x:1', exists)).not.toThrow();
    expect(() => checkTransportPath('dir:/data/dir:with:colons', exists)).not.toThrow();
    expect(() => checkTransportPath('oci-archive:/data/nope.tar', exists)).toThrow('image: /data/nope.tar does not exist');
    expect(() => checkTransportPath('docker-archive:rel.tar', exists)).toThrow('needs an absolute path');
    expect(() => checkTransportPath('docker.io/library/alpine:3', exists)).not.toThrow();
    expect(() => checkTransportPath('docker://alpine:3', exists)).not.toThrow();
  });

  it('says what failed in one line: the reference and podman’s last error', () => {
    const stderr = 'Trying to pull docker.io/library/alpine:3...\nError: initializing source docker://alpine:3: pinging container registry registry-1.docker.io: dial tcp: no such host\n';
    const e = pullFailure('alpine:3', stderr, 125);
    expect(e.message).toBe('could not pull alpine:3: initializing source docker://alpine:3: pinging container registry registry-1.docker.io: dial tcp: no such host');
    expect(e.code).toBe('BACKEND_FAILED');
    expect(pullFailure('x', '', 2).message).toBe('could not pull x: exit code 2');
  });
});

describe('images used before', () => {
  const ws = (over: Partial<Workspace>): Workspace => ({ id: 'i', backend: 'bwrap', image: null, imageKind: 'system', createdAt: '2026-01-01T00:00:00Z', ...over }) as Workspace;
  it('offers rootfs folders to backends that take them, image files to their own backend, newest first, each once, only if still there', () => {
    const list = [
      ws({ image: '/r/old', imageKind: 'rootfs', createdAt: '2026-01-01T00:00:00Z' }),
      ws({ image: '/r/new', imageKind: 'rootfs', createdAt: '2026-03-01T00:00:00Z', backend: 'podman' }),
      ws({ image: '/r/old', imageKind: 'rootfs', createdAt: '2026-02-01T00:00:00Z' }),
      ws({ image: '/r/gone', imageKind: 'rootfs' }),
      ws({ image: '/s/a.sif', imageKind: 'image', backend: 'apptainer' }),
      ws({ image: 'localhost/x:1', imageKind: 'image', backend: 'podman' }),
    ];
    const exists = (p: string) => p !== '/r/gone';
    expect(usedBefore(list, 'bwrap', true, exists).map((c) => [c.ref, c.kind, c.createdAt])).toEqual([
      ['/r/new', 'rootfs', '2026-03-01T00:00:00Z'],
      ['/r/old', 'rootfs', '2026-02-01T00:00:00Z'],
    ]);
    expect(usedBefore(list, 'apptainer', true, exists).map((c) => c.ref)).toEqual(['/r/new', '/r/old', '/s/a.sif']);
    expect(usedBefore(list, 'host', false, exists)).toEqual([]);
  });
});

describe('sinfo partitions', () => {
  it('parses name, default, state, limit and nodes; a partition repeated per node state is listed once', () => {
    expect(parseSinfo('debug*|up|infinite|1\ngpu|up|1-00:00:00|4\ngpu|up|1-00:00:00|2\n\nbroken\n')).toEqual([
      { name: 'debug', isDefault: true, state: 'up', timeLimit: 'infinite', nodes: 1 },
      { name: 'gpu', isDefault: false, state: 'up', timeLimit: '1-00:00:00', nodes: 4 },
    ]);
  });
});

describe('host folder listing', () => {
  const root = mkdtempSync(join(tmpdir(), 'benchtop-folders-'));
  const data = join(root, 'data');
  mkdirSync(join(root, 'b-proj', 'inner'), { recursive: true });
  mkdirSync(join(root, 'A-proj'));
  mkdirSync(join(root, '.hidden'));
  mkdirSync(join(data, 'workspaces'), { recursive: true });
  writeFileSync(join(root, 'file.txt'), 'x');
  symlinkSync(join(root, 'b-proj'), join(root, 'link-to-b'));
  symlinkSync(data, join(root, 'link-to-data'));
  symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lists sub-folders only, sorted, without hidden ones unless asked, never the data folder (nor a link into it)', () => {
    const l = listFolders(root, { dataHome: data });
    expect(l.folders.map((f) => f.name)).toEqual(['A-proj', 'b-proj', 'link-to-b']);
    expect(l.parent).toBe(join(root, '..').replace(/\/$/, '') || '/');
    expect(listFolders(root, { dataHome: data, hidden: true }).folders.map((f) => f.name)).toContain('.hidden');
  });

  it('refuses the data folder, what is inside it, missing paths and files, each in one line', () => {
    expect(() => listFolders(data, { dataHome: data })).toThrow(`path: ${data} is inside Benchtop's data folder, which cannot be browsed`);
    expect(() => listFolders(join(root, 'link-to-data', 'workspaces'), { dataHome: data })).toThrow('inside Benchtop');
    expect(() => listFolders(join(root, 'missing'), { dataHome: data })).toThrow(`path: ${join(root, 'missing')} does not exist`);
    expect(() => listFolders(join(root, 'file.txt'), { dataHome: data })).toThrow('is not a folder');
  });

  it('lists / with no parent', () => {
    expect(listFolders('/', { dataHome: data }).parent).toBeNull();
  });
});

describe('suggested names', () => {
  it('fills in the first free analysis-N, and follows a picked folder in the name alphabet', () => {
    expect(suggestName([])).toBe('analysis-1');
    expect(suggestName(['analysis-1', 'analysis-3'])).toBe('analysis-2');
    expect(nameFromFolder('/home/me/My Data 2', [])).toBe('my-data-2');
    expect(nameFromFolder('/home/me/Données/', [])).toBe('donnees');
    expect(nameFromFolder('/home/me/proj', ['proj', 'proj-2'])).toBe('proj-3');
    expect(nameFromFolder('/home/me/___', [])).toBeNull();
    expect(nameFromFolder('/', [])).toBeNull();
    expect(nameFromFolder(`/x/${'a'.repeat(80)}`, [])).toHaveLength(63);
  });
});
