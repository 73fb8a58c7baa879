/**
 * The least of tar the file browser needs: one file packed as a stream for
 * `files.upload` (POSIX ustar, a pax header when the name is longer than
 * ustar allows), and the first regular file taken out of a `files.download`
 * stream (GNU and pax long-name headers read, everything else skipped).
 */
const BLOCK = 512;
const enc = new TextEncoder();

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: Uint8Array, size: number, mode: number, mtime: number, type: string): Uint8Array {
  const h = new Uint8Array(BLOCK);
  h.set(name.subarray(0, 100), 0);
  h.set(enc.encode(octal(mode, 8)), 100);
  h.set(enc.encode(octal(0, 8)), 108);
  h.set(enc.encode(octal(0, 8)), 116);
  h.set(enc.encode(octal(size, 12)), 124);
  h.set(enc.encode(octal(Math.floor(mtime), 12)), 136);
  h.set(enc.encode('        '), 148);
  h.set(enc.encode(type), 156);
  h.set(enc.encode('ustar\u000000'), 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.set(enc.encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
  return h;
}

const pad = (n: number) => new Uint8Array((BLOCK - (n % BLOCK)) % BLOCK);

/** A tar stream holding one regular file `name` (mode 0644) with `data`. */
export function tarOneFile(name: string, data: Uint8Array, mtimeSec: number): Blob {
  const raw = enc.encode(name);
  const parts: BlobPart[] = [];
  if (raw.length > 100) {
    // A pax record "LEN path=NAME\n", LEN counting itself.
    const body = ` path=${name}\n`;
    let len = enc.encode(body).length + 1;
    while (String(len).length + enc.encode(body).length !== len) len += 1;
    const rec = enc.encode(`${len}${body}`);
    parts.push(header(enc.encode('PaxHeader'), rec.length, 0o644, mtimeSec, 'x') as BlobPart, rec as BlobPart, pad(rec.length));
  }
  parts.push(header(raw, data.length, 0o644, mtimeSec, '0') as BlobPart, data as BlobPart, pad(data.length), new Uint8Array(BLOCK * 2));
  return new Blob(parts as BlobPart[]);
}

function field(h: Uint8Array, at: number, len: number): string {
  const s = h.subarray(at, at + len);
  const end = s.indexOf(0);
  return new TextDecoder().decode(end === -1 ? s : s.subarray(0, end));
}

/** The first regular file in a tar stream: its name (last path part) and bytes; null if none. */
export function firstFileIn(tar: Uint8Array): { name: string; data: Uint8Array } | null {
  let longName: string | null = null;
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const h = tar.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) return null;
    const size = parseInt(field(h, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(h[156] ?? 0);
    const body = tar.subarray(at + BLOCK, at + BLOCK + size);
    at += BLOCK + size + ((BLOCK - (size % BLOCK)) % BLOCK);
    if (type === 'L') longName = new TextDecoder().decode(body).replace(/\0+$/, '');
    else if (type === 'x') longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(new TextDecoder().decode(body))?.[1] ?? longName;
    else if (type === '0' || type === '\0') {
      const prefix = field(h, 345, 155);
      const name = longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
      return { name: name.replace(/\/+$/, '').split('/').pop() ?? name, data: body };
    } else longName = null;
  }
  return null;
}
