/**
 * The copy methods over the browser host's WebSocket, as the UI uses them:
 * an upload sent in chunks (each far under the frame limit), a download
 * received as `files.data` events of at most 1 MiB, a chunk over the cap
 * refused as input, and an upload the sender stops ends as cancelled.
 */
import { execa } from 'execa';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BenchtopError, DOWNLOAD_CHUNK_MAX_BYTES, type JournalEntry } from '../../src-preload/contract';
import type { BenchtopClient } from '../../src-preload/client';
import { cleanup, tempDir } from '../helpers/cli';
import { describeWith } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';

describeWith('bwrap', 'files.upload and files.download over the browser host', () => {
  let home: string;
  let project: string;
  let local: string;
  let serve: ServeProcess;
  let client: BenchtopClient;
  const big = randomBytes(5 * 1024 * 1024 + 3);
  beforeAll(async () => {
    home = tempDir('home');
    project = tempDir('proj');
    local = tempDir('local');
    writeFileSync(join(local, 'big.bin'), big);
    serve = await startServe(home);
    client = (await serve.connect()).client;
    await client.call('workspaces.create', { name: 'files-rpc', backend: 'bwrap', project });
  });
  afterAll(async () => {
    await client.call('workspaces.remove', { workspace: 'files-rpc' }).catch(() => undefined);
    await serve.stop();
    cleanup(home, project, local);
  });

  it('uploads a tar stream sent in 1 MiB chunks, and downloads it back in events of at most 1 MiB', async () => {
    const tar = (await execa('tar', ['-c', '-f', '-', '-C', local, 'big.bin'], { encoding: 'buffer' })).stdout as Uint8Array;
    mkdirSync(join(project, 'data'));
    const transferId = randomUUID();
    const result = client.call('files.upload', { workspace: 'files-rpc', path: 'data/', name: 'big.bin', transferId, source: 'big.bin' });
    const failed = result.then(
      () => null,
      (e: unknown) => e,
    );
    for (let at = 0; at < tar.length; at += 1024 * 1024) {
      await client.call('files.uploadChunk', { transferId, data: Buffer.from(tar.subarray(at, at + 1024 * 1024)).toString('base64') });
    }
    await client.call('files.uploadChunk', { transferId, eof: true });
    expect(await failed).toBeNull();
    const up = await result;
    expect([up.bytes, up.path]).toEqual([tar.length, '/workspace/data']);
    expect(readFileSync(join(project, 'data', 'big.bin')).equals(big)).toBe(true);

    const downId = randomUUID();
    const chunks: Buffer[] = [];
    const off = client.on('files.data', (d) => {
      if (d.transferId === downId) chunks.push(Buffer.from(d.data, 'base64'));
    });
    const down = await client.call('files.download', { workspace: 'files-rpc', path: 'data/big.bin', transferId: downId });
    off();
    const stream = Buffer.concat(chunks);
    expect(stream.length).toBe(down.bytes);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(DOWNLOAD_CHUNK_MAX_BYTES);
    const out = tempDir('out');
    await execa('tar', ['-x', '-f', '-', '-C', out], { input: stream });
    expect(readFileSync(join(out, 'big.bin')).equals(big)).toBe(true);
    cleanup(out);
  });

  it('refuses a chunk over the cap as input, and a chunk for no upload as not found', async () => {
    const tooBig = await client.call('files.uploadChunk', { transferId: randomUUID(), data: 'A'.repeat(4 * 1024 * 1024 + 4) }).catch((e: unknown) => e);
    expect(tooBig).toBeInstanceOf(BenchtopError);
    expect([(tooBig as BenchtopError).code, (tooBig as BenchtopError).details?.field]).toEqual(['INVALID_INPUT', 'data']);
    const none = await client.call('files.uploadChunk', { transferId: 'no-such-upload', eof: true }).catch((e: unknown) => e);
    expect((none as BenchtopError).message).toBe('no upload no-such-upload is running');
  });

  it('an upload its sender stops ends as cancelled, journaled as interrupted, and leaves nothing behind', async () => {
    const transferId = randomUUID();
    const result = client.call('files.upload', { workspace: 'files-rpc', path: 'half.bin', name: 'big.bin', transferId }).catch((e: unknown) => e);
    const tar = (await execa('tar', ['-c', '-f', '-', '-C', local, 'big.bin'], { encoding: 'buffer' })).stdout as Uint8Array;
    await client.call('files.uploadChunk', { transferId, data: Buffer.from(tar.subarray(0, 1024 * 1024)).toString('base64') });
    await client.call('files.uploadChunk', { transferId, abort: 'tar: big.bin: Cannot open: Permission denied' });
    const err = (await result) as BenchtopError;
    expect([err.code, err.message]).toEqual(['CANCELLED', 'the copy was stopped: the sender stopped: tar: big.bin: Cannot open: Permission denied']);
    const last = (await client.call('journal.list', { workspace: 'files-rpc' })).filter((e: JournalEntry) => e.source === 'copy').at(-1);
    expect([last?.status, last?.reason, last?.copy?.bytes]).toEqual(['interrupted', 'the copy was stopped: the sender stopped: tar: big.bin: Cannot open: Permission denied', 1024 * 1024]);
    expect(existsSync(join(project, 'half.bin'))).toBe(false);
    expect(readdirSync(project).filter((n) => n.startsWith('.benchtop-cp'))).toEqual([]);
  });

  it('lists a folder as the sandbox sees it: folders first, kinds, sizes, odd names, the home and project', async () => {
    writeFileSync(join(project, 'a file\nwith a newline'), 'abc');
    symlinkSync('/etc', join(project, 'etc-link'));
    const l = await client.call('files.list', { workspace: 'files-rpc' });
    expect([l.path, l.project, l.home]).toEqual(['/workspace', '/workspace', '/home/user']);
    expect(l.entries.filter((e) => ['data', 'a file\nwith a newline', 'etc-link'].includes(e.name))).toEqual([
      { name: 'data', kind: 'dir', size: 0 },
      { name: 'a file\nwith a newline', kind: 'file', size: 3 },
      { name: 'etc-link', kind: 'link', size: 0 },
    ]);
    // Through the link: the sandbox's /etc (its generated passwd, no shadow), not the host's.
    const etc = await client.call('files.list', { workspace: 'files-rpc', path: 'etc-link' });
    expect(etc.entries.map((e) => e.name)).toContain('passwd');
    expect(etc.entries.map((e) => e.name)).not.toContain('shadow');
    const missing = (await client.call('files.list', { workspace: 'files-rpc', path: '/nope' }).catch((e: unknown) => e)) as BenchtopError;
    expect([missing.code, missing.message]).toEqual(['NOT_FOUND', '/nope: no such folder']);
  });
});
