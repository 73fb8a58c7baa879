/**
 * Small pieces several screens share: ids for requests whose events come
 * back tagged (exec output, pull progress), and bytes from base64.
 */

/** A fresh id (the contract's execIdSchema shape); randomUUID is missing outside secure contexts (plain http on a LAN). */
export function newRequestId(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `req-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** The bytes of a base64 string (exec output, journal.readOutput's exact form). */
export function base64Bytes(data: string): Uint8Array {
  const bin = atob(data);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
