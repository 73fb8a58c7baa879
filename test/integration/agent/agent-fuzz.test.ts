/**
 * Fuzzing the real guest agent over stdio: random bytes, random frames with
 * valid headers, truncated frames and oversize length claims. Whatever comes
 * in, the agent must end with exit 0 (nothing understood, then EOF) or exit 1
 * after ERROR on session 0 — never die from a signal, never send a frame the
 * host's decoder refuses — and a frame trickled in must not cost it more
 * than its one frame buffer.
 */
import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { encodeFrame, encodeKv, HEADER_BYTES, MAX_PAYLOAD, SYNC, T } from '../../../src-main/core/agent/frames';
import { AgentHost, describeWithAgent } from '../../helpers/agent';

const hosts: AgentHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.kill();
});

/** mulberry32: a small seeded PRNG, so a failing case can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HELLO = Buffer.concat([SYNC, encodeFrame(0, T.HELLO, encodeKv([['version', 1]]))]);

const START = Buffer.concat([
  encodeFrame(1, T.EXEC, encodeKv([['arg', 'cat'], ['env', 'PATH=/usr/bin:/bin']])),
  encodeFrame(2, T.EXEC, encodeKv([['arg', 'cat'], ['env', 'PATH=/usr/bin:/bin'], ['tty', 1], ['cols', 80], ['rows', 24]])),
  encodeFrame(3, T.EXEC, encodeKv([['arg', 'true'], ['env', 'PATH=/usr/bin:/bin']])),
]);

function header(len: number, session: number, type: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt32BE(len >>> 0, 0);
  h.writeUInt32BE(session >>> 0, 4);
  h.writeUInt8(type, 8);
  return h;
}

/** One fuzz input, of the kind `kind`, from rnd. */
function input(kind: number, rnd: () => number): Buffer {
  const int = (n: number) => Math.floor(rnd() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const hostTypes = [T.HELLO, T.EXEC, T.STDIN, T.STDIN_EOF, T.RESIZE, T.SIGNAL, T.CREDIT, T.CLOSE, T.PING, T.SHUTDOWN];
  const otherTypes = [0, 0x0b, 0x7f, 0x80, 0x81, 0x85, 0xff];
  const randomFrame = () => {
    // Mostly frames the agent knows, so the fuzz gets past the header checks.
    const type = rnd() < 0.95 ? hostTypes[int(hostTypes.length)]! : otherTypes[int(otherTypes.length)]!;
    // Mostly the sessions started below, so frames reach live (and ended) sessions.
    const session = rnd() < 0.1 ? 0 : rnd() < 0.9 ? 1 + int(3) : int(2 ** 32);
    let payload: Buffer = bytes(int(64));
    if (type === T.EXEC && rnd() < 0.5) payload = encodeKv([['arg', rnd() < 0.5 ? 'true' : 'echo'], ['arg', bytes(8).toString('latin1').replace(/\0/g, '')], ['tty', int(2)]]);
    if (type === T.STDIN_EOF || type === T.CLOSE || type === T.SHUTDOWN) payload = rnd() < 0.7 ? Buffer.alloc(0) : payload;
    if (type === T.CREDIT || type === T.RESIZE) payload = rnd() < 0.7 ? bytes(4) : payload;
    if (type === T.SIGNAL) payload = rnd() < 0.7 ? Buffer.from([int(70)]) : payload;
    return Buffer.concat([header(payload.length, session, type), payload]);
  };
  switch (kind) {
    case 0: // noise, maybe with a SYNC somewhere in it
      return Buffer.concat([bytes(int(2000)), rnd() < 0.5 ? SYNC : Buffer.alloc(0), bytes(int(2000))]);
    case 1: // a greeting, three sessions (pipes, a tty, one that ends at once), then random frames
      return Buffer.concat([HELLO, START, ...Array.from({ length: 1 + int(12) }, randomFrame)]);
    case 2: {
      // a greeting, then a frame cut short
      const f = randomFrame();
      return Buffer.concat([HELLO, f.subarray(0, int(f.length))]);
    }
    case 3: // an oversize length claim
      return Buffer.concat([HELLO, header(MAX_PAYLOAD + 1 + int(2 ** 31), int(4), T.STDIN), bytes(int(100))]);
    default: // random frames without HELLO
      return Buffer.concat([SYNC, randomFrame(), randomFrame()]);
  }
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

describeWithAgent('benchtop-agent fuzz', () => {
  it('survives 300 seeded random inputs: exit 0, or ERROR on session 0 then exit 1; never a signal', async () => {
    const seed = Number(process.env.AGENT_FUZZ_SEED ?? 20261128);
    const rnd = prng(seed);
    for (let i = 0; i < 300; i++) {
      const kind = i % 5;
      const bytes = input(kind, rnd);
      const h = new AgentHost();
      hosts.push(h);
      // In pieces of random size, as a stream delivers it.
      for (let at = 0; at < bytes.length; ) {
        const n = 1 + Math.floor(rnd() * 700);
        h.write(bytes.subarray(at, at + n));
        at += n;
      }
      const r = await h.stop();
      const what = `seed ${seed} case ${i} (kind ${kind}): ${bytes.subarray(0, 64).toString('hex')}… stderr: ${h.stderr}`;
      expect(r.signal, what).toBeNull();
      expect(h.decodeError, what).toBeUndefined();
      if (r.code === 1) expect(h.protocolErrors.length, what).toBe(1);
      else expect([r.code, h.protocolErrors], what).toEqual([0, []]);
      if (kind === 3) expect(h.protocolErrors[0], what).toMatch(/over the 1048576-byte limit/);
      hosts.splice(hosts.indexOf(h), 1);
    }
  }, 120_000);

  it('an oversize length is refused at once, before any of its payload', async () => {
    const h = new AgentHost();
    hosts.push(h);
    h.write(Buffer.concat([HELLO, header(MAX_PAYLOAD + 1, 1, T.STDIN)]));
    expect(await h.exited).toEqual({ code: 1, signal: null });
    expect(h.protocolErrors).toEqual([`frame of ${MAX_PAYLOAD + 1} bytes is over the ${MAX_PAYLOAD}-byte limit`]);
  });

  it('holds one frame at most: RSS stays small while a 1 MiB frame is trickled in', async () => {
    const h = new AgentHost();
    hosts.push(h);
    h.greet();
    await h.until(() => h.hello !== undefined, 5000, 'HELLO');
    const pid = h.proc.pid!;
    const before = rssKiB(pid);
    h.write(header(MAX_PAYLOAD, 7, T.STDIN));
    let peak = before;
    const piece = Buffer.alloc(16 * 1024, 0x5a);
    for (let sent = 0; sent < MAX_PAYLOAD - piece.length; sent += piece.length) {
      h.write(piece);
      await new Promise((r) => setTimeout(r, 2));
      peak = Math.max(peak, rssKiB(pid));
    }
    // Not finished: the agent waits for the rest, quietly.
    expect(h.protocolErrors).toEqual([]);
    h.write(piece); // complete: STDIN for a session never started
    expect(await h.exited).toEqual({ code: 1, signal: null });
    expect(h.protocolErrors).toEqual(['frame type 0x03 for unknown session 7']);
    expect(before).toBeLessThan(1024);
    expect(peak).toBeLessThan(3 * 1024);
  });
});
