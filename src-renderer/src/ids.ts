/**
 * Small pieces several screens share: ids for requests whose events come
 * back tagged (exec output, pull progress), and bytes to and from base64.
 */

/** A fresh id (the contract's execIdSchema shape); randomUUID is missing outside secure contexts (plain http on a LAN). */
export function newRequestId(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `req-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Bytes as base64 (an upload's chunks), in slices: one call per byte would overflow the argument list. */
export function bytesBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** The bytes of a base64 string (exec output, journal.readOutput's exact form). */
export function base64Bytes(data: string): Uint8Array {
  const bin = atob(data);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
