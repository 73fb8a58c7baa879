/**
 * The vsock handshake (CONNECT PORT / OK PORT) against a real Unix socket
 * server answering as Firecracker's muxer does, and failing as it fails.
 * The agent behind it: test/integration/firecracker-vsock.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectVsock } from '../../../../../src-main/core/drivers/firecracker/vsock';
import { startMuxer, type Muxer } from '../../../../helpers/firecracker-muxer';

const muxers: Muxer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const m of muxers.splice(0)) await m.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function muxer(guests: Record<number, string[]>, answer?: Parameters<typeof startMuxer>[2]): Promise<Muxer> {
  const dir = mkdtempSync(join(tmpdir(), 'fc-vsock-'));
  dirs.push(dir);
  const m = await startMuxer(join(dir, 'v.sock'), guests, answer);
  muxers.push(m);
  return m;
}

describe('connectVsock', () => {
  it('sends CONNECT PORT, takes the OK, and hands on the bytes that came behind it', async () => {
    // `cat` listening on port 52 echoes; what it sends first goes out with the OK.
    const m = await muxer({ 52: ['sh', '-c', 'printf first; exec cat'] });
    const sock = await connectVsock(m.path, 52);
    expect(m.requests).toEqual(['CONNECT 52']);
    const got: Buffer[] = [];
    sock.on('data', (c: Buffer) => got.push(c));
    sock.resume();
    sock.write('echoed');
    await new Promise((r) => setTimeout(r, 300));
    expect(Buffer.concat(got).toString()).toBe('firstechoed');
    expect(m.joinedWrites).toBe(1);
    sock.destroy();
  });

  it('fails with a clear line when nothing listens on the port (Firecracker closes the connection)', async () => {
    const m = await muxer({ 52: ['cat'] });
    await expect(connectVsock(m.path, 53)).rejects.toThrow('vsock CONNECT 53: closed without an answer (nothing listens on that port yet?)');
  });

  it('refuses an answer that is not OK, and a socket that is not Firecracker', async () => {
    const bad = await muxer({}, (_line, s) => s.write('ERR no\n'));
    await expect(connectVsock(bad.path, 1)).rejects.toThrow('vsock CONNECT 1: refused: "ERR no"');
    const http = await muxer({}, (_line, s) => s.write('x'.repeat(100)));
    await expect(connectVsock(http.path, 1)).rejects.toThrow(/vsock CONNECT 1: not a Firecracker vsock socket/);
  });

  it('gives up when no answer comes', async () => {
    const mute = await muxer({}, () => undefined);
    await expect(connectVsock(mute.path, 1, 300)).rejects.toThrow('vsock CONNECT 1: no answer within 0 s');
  });

  it('says which socket it could not reach', async () => {
    await expect(connectVsock('/nonexistent/v.sock', 1)).rejects.toThrow(/^cannot reach \/nonexistent\/v.sock: .*ENOENT/);
  });
});
