/**
 * The guest agent's wire format (guest/agent/PROTOCOL.md): frames of
 * length, session, type and payload behind a SYNC marker, and the key-value
 * payloads of control frames. The guest is the untrusted side, so the
 * decoder bounds everything: one frame's payload at most, never more.
 */

export const PROTOCOL_VERSION = 1;
export const SYNC = Buffer.from('\nBTAGENT', 'latin1');
export const HEADER_BYTES = 9;
export const MAX_PAYLOAD = 1 << 20;
export const MAX_SESSIONS = 256;
/** Output (and stdin) bytes either side may send ahead of credit. */
export const INITIAL_CREDIT = 256 * 1024;

export const T = {
  HELLO: 0x01,
  EXEC: 0x02,
  STDIN: 0x03,
  STDIN_EOF: 0x04,
  RESIZE: 0x05,
  SIGNAL: 0x06,
  CREDIT: 0x07,
  CLOSE: 0x08,
  PING: 0x09,
  SHUTDOWN: 0x0a,
  G_HELLO: 0x81,
  STARTED: 0x82,
  STDOUT: 0x83,
  STDERR: 0x84,
  EXIT: 0x85,
  ERROR: 0x86,
  PONG: 0x87,
  STDIN_CREDIT: 0x88,
} as const;

/** The frame types each side sends: a decoder knows only its peer's. */
export const HOST_TYPES: ReadonlySet<number> = new Set<number>([T.HELLO, T.EXEC, T.STDIN, T.STDIN_EOF, T.RESIZE, T.SIGNAL, T.CREDIT, T.CLOSE, T.PING, T.SHUTDOWN]);
export const GUEST_TYPES: ReadonlySet<number> = new Set<number>([T.G_HELLO, T.STARTED, T.STDOUT, T.STDERR, T.EXIT, T.ERROR, T.PONG, T.STDIN_CREDIT]);

export interface Frame {
  session: number;
  type: number;
  payload: Buffer;
}

export class ProtocolError extends Error {}

export function encodeFrame(session: number, type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length > MAX_PAYLOAD) throw new ProtocolError(`frame payload of ${payload.length} bytes is over ${MAX_PAYLOAD}`);
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeUInt32BE(payload.length, 0);
  head.writeUInt32BE(session >>> 0, 4);
  head.writeUInt8(type, 8);
  return Buffer.concat([head, payload]);
}

export function encodeU32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

export function encodeResize(cols: number, rows: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(Math.max(1, Math.min(0xffff, cols)), 0);
  b.writeUInt16BE(Math.max(1, Math.min(0xffff, rows)), 2);
  return b;
}

/** `key=value\0` for each pair, in order; a key may repeat. */
export function encodeKv(pairs: Array<[string, string | number]>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of pairs) {
    const s = `${k}=${v}`;
    if (s.includes('\0')) throw new ProtocolError(`${k}: a NUL byte cannot be sent`);
    parts.push(Buffer.from(s, 'utf8'), Buffer.from([0]));
  }
  return Buffer.concat(parts);
}

/** The pairs of a key-value payload; a trailing piece without NUL is kept too. */
export function decodeKv(payload: Buffer): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const item of payload.toString('utf8').split('\0')) {
    if (!item) continue;
    const eq = item.indexOf('=');
    out.push(eq < 0 ? [item, ''] : [item.slice(0, eq), item.slice(eq + 1)]);
  }
  return out;
}

/** The last value of `key`, if any. */
export function kvGet(pairs: Array<[string, string]>, key: string): string | undefined {
  let v: string | undefined;
  for (const [k, val] of pairs) if (k === key) v = val;
  return v;
}

/**
 * Reads frames from a byte stream: skips everything before the first SYNC,
 * then yields whole frames. Throws ProtocolError on a frame that is too long
 * or of a type the reader does not know (the connection must then be dropped).
 */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private synced = false;
  /** `known`: the types the other side sends (GUEST_TYPES on the host, HOST_TYPES in the mux). */
  constructor(private readonly known: ReadonlySet<number>) {}

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    if (!this.synced) {
      const at = this.buf.indexOf(SYNC);
      if (at < 0) {
        // Keep only what could be the start of a SYNC split across chunks.
        this.buf = this.buf.subarray(Math.max(0, this.buf.length - (SYNC.length - 1)));
        return frames;
      }
      this.buf = this.buf.subarray(at + SYNC.length);
      this.synced = true;
    }
    let off = 0;
    while (this.buf.length - off >= HEADER_BYTES) {
      const len = this.buf.readUInt32BE(off);
      const session = this.buf.readUInt32BE(off + 4);
      const type = this.buf.readUInt8(off + 8);
      if (len > MAX_PAYLOAD) throw new ProtocolError(`frame of ${len} bytes is over the ${MAX_PAYLOAD}-byte limit`);
      if (!this.known.has(type)) throw new ProtocolError(`unknown frame type 0x${type.toString(16)}`);
      if (this.buf.length - off < HEADER_BYTES + len) break;
      // Copy: the payload must not pin the (possibly large) read buffer.
      const payload = Buffer.from(this.buf.subarray(off + HEADER_BYTES, off + HEADER_BYTES + len));
      frames.push({ session, type, payload });
      off += HEADER_BYTES + len;
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(off));
    return frames;
  }

  /** Bytes held waiting for the rest of a frame (bounded by one frame). */
  get pending(): number {
    return this.buf.length;
  }
}
