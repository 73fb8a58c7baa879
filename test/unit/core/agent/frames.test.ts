/**
 * The host's frame codec (src-main/core/agent/frames.ts) against random
 * chunking: whatever the split, the same frames come out; SYNC is found
 * across chunk borders; a too-long or unknown frame is a ProtocolError as
 * soon as its header is in; and the decoder never holds more than one frame
 * plus the chunk being pushed.
 */
import { describe, expect, it } from 'vitest';
import { decodeKv, encodeFrame, encodeKv, FrameDecoder, HEADER_BYTES, kvGet, MAX_PAYLOAD, ProtocolError, SYNC, T, type Frame, GUEST_TYPES, HOST_TYPES } from '../../../../src-main/core/agent/frames';

function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GUEST_TYPE_LIST = [...GUEST_TYPES];

function header(len: number, session: number, type: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt32BE(len >>> 0, 0);
  h.writeUInt32BE(session >>> 0, 4);
  h.writeUInt8(type, 8);
  return h;
}

/** Pushes bytes in random chunks; returns the frames and the largest `pending` seen over chunk size. */
function pushChunked(d: FrameDecoder, bytes: Buffer, rnd: () => number, maxChunk: number): { frames: Frame[]; worst: number } {
  const frames: Frame[] = [];
  let worst = 0;
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + Math.floor(rnd() * maxChunk);
    const chunk = bytes.subarray(at, at + n);
    frames.push(...d.push(chunk));
    worst = Math.max(worst, d.pending - chunk.length);
    at += n;
  }
  return { frames, worst };
}

describe('FrameDecoder', () => {
  it('decodes the same frames whatever the chunking (200 seeded cases), with garbage before SYNC', () => {
    const rnd = prng(42);
    for (let c = 0; c < 200; c++) {
      const want: Frame[] = Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => ({
        session: Math.floor(rnd() * 2 ** 32),
        type: GUEST_TYPE_LIST[Math.floor(rnd() * GUEST_TYPE_LIST.length)]!,
        payload: Buffer.from(Array.from({ length: Math.floor(rnd() ** 3 * 2000) }, () => Math.floor(rnd() * 256))),
      }));
      // Garbage that holds no SYNC (a newline-free tail cannot start one).
      const garbage = Buffer.from(Array.from({ length: Math.floor(rnd() * 300) }, () => 0x20 + Math.floor(rnd() * 90)));
      const bytes = Buffer.concat([garbage, SYNC, ...want.map((f) => encodeFrame(f.session, f.type, f.payload))]);
      const d = new FrameDecoder(GUEST_TYPES);
      const maxChunk = [1, 7, 9, 64, 4096][c % 5]!;
      const { frames, worst } = pushChunked(d, bytes, rnd, maxChunk);
      expect(frames).toEqual(want);
      expect(d.pending).toBe(0);
      // Never more than one frame's worth held beyond the chunk just pushed.
      expect(worst).toBeLessThanOrEqual(HEADER_BYTES + MAX_PAYLOAD);
    }
  });

  it('finds a SYNC split across chunks at every point', () => {
    const frame = encodeFrame(0, T.PONG, Buffer.from('x'));
    for (let cut = 1; cut < SYNC.length; cut++) {
      const d = new FrameDecoder(GUEST_TYPES);
      expect(d.push(Buffer.concat([Buffer.from('junk\n\nBT'), SYNC.subarray(0, cut)]))).toEqual([]);
      expect(d.pending).toBeLessThan(SYNC.length);
      expect(d.push(Buffer.concat([SYNC.subarray(cut), frame]))).toEqual([{ session: 0, type: T.PONG, payload: Buffer.from('x') }]);
    }
  });

  it('keeps at most SYNC-1 bytes while no SYNC has come', () => {
    const d = new FrameDecoder(GUEST_TYPES);
    const rnd = prng(7);
    for (let i = 0; i < 1000; i++) {
      d.push(Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 100) }, () => Math.floor(rnd() * 256)).filter((b) => b !== 0x0a)));
      expect(d.pending).toBeLessThan(SYNC.length);
    }
  });

  it('throws ProtocolError on an oversize length as soon as the header is in', () => {
    const d = new FrameDecoder(GUEST_TYPES);
    d.push(SYNC);
    const h = header(MAX_PAYLOAD + 1, 1, T.STDOUT);
    expect(d.push(h.subarray(0, HEADER_BYTES - 1))).toEqual([]);
    expect(() => d.push(h.subarray(HEADER_BYTES - 1))).toThrow(ProtocolError);
    expect(() => new FrameDecoder(GUEST_TYPES).push(Buffer.concat([SYNC, header(0xffffffff, 1, T.STDOUT)]))).toThrow(/over the 1048576-byte limit/);
  });

  it('accepts exactly MAX_PAYLOAD', () => {
    const d = new FrameDecoder(GUEST_TYPES);
    const frames = d.push(Buffer.concat([SYNC, header(MAX_PAYLOAD, 3, T.STDOUT), Buffer.alloc(MAX_PAYLOAD, 1)]));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.payload.length).toBe(MAX_PAYLOAD);
  });

  it('throws ProtocolError on a type the reader does not know (a host type from the guest, too)', () => {
    for (const type of [0, 0x0b, 0x80, 0x89, 0xff, T.EXEC, T.HELLO]) {
      const d = new FrameDecoder(GUEST_TYPES);
      expect(() => d.push(Buffer.concat([SYNC, header(0, 1, type)])), `type ${type}`).toThrow(ProtocolError);
    }
    expect(() => new FrameDecoder(HOST_TYPES).push(Buffer.concat([SYNC, header(0, 1, T.STDOUT)]))).toThrow(/unknown frame type 0x83/);
  });

  it('never holds more than one frame plus the chunk under random valid and invalid headers', () => {
    const rnd = prng(99);
    for (let c = 0; c < 150; c++) {
      const d = new FrameDecoder(GUEST_TYPES);
      const len = rnd() < 0.5 ? Math.floor(rnd() * (MAX_PAYLOAD + 1)) : Math.floor(rnd() * 2 ** 32);
      const type = rnd() < 0.8 ? GUEST_TYPE_LIST[Math.floor(rnd() * GUEST_TYPE_LIST.length)]! : Math.floor(rnd() * 256);
      const valid = len <= MAX_PAYLOAD && GUEST_TYPES.has(type);
      const start = Buffer.concat([SYNC, header(len, 1, type)]);
      if (!valid) {
        expect(() => d.push(start)).toThrow(ProtocolError);
        continue;
      }
      expect(d.push(start)).toEqual([]);
      // The payload in random chunks: held until whole, then handed out and let go.
      const chunk = Buffer.alloc(16_384 + Math.floor(rnd() * 200_000));
      let sent = 0;
      while (sent + chunk.length < len) {
        expect(d.push(chunk)).toEqual([]);
        sent += chunk.length;
        expect(d.pending).toBeLessThanOrEqual(HEADER_BYTES + MAX_PAYLOAD);
      }
      const frames = d.push(chunk.subarray(0, len - sent));
      expect(frames.map((f) => f.payload.length)).toEqual([len]);
      expect(d.pending).toBe(0);
    }
  });
});

describe('key-value payloads', () => {
  it('round-trip in order with repeated keys, values with = and non-ASCII', () => {
    const pairs: Array<[string, string]> = [
      ['arg', 'sh'],
      ['arg', '-c'],
      ['arg', 'echo a=b ü'],
      ['env', 'X=1=2'],
      ['empty', ''],
    ];
    const kv = decodeKv(encodeKv(pairs));
    expect(kv).toEqual(pairs);
    expect(kvGet(kv, 'arg')).toBe('echo a=b ü');
    expect(() => encodeKv([['arg', 'a\0b']])).toThrow(ProtocolError);
  });
});
