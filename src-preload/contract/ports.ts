/**
 * Published ports: a TCP port inside a workspace reachable from the host at
 * 127.0.0.1:hostPort, through Benchtop's own forwarder (the sandbox keeps its
 * network: `none` stays none). Shared by the contract, the CLI and the UI.
 */
import { z } from 'zod';

export const PORT_RANGE = { min: 1, max: 65535 } as const;

const portNumber = (what: string) =>
  z
    .number()
    .int(`${what} must be a whole number`)
    .min(PORT_RANGE.min, `${what} must be between 1 and 65535`)
    .max(PORT_RANGE.max, `${what} must be between 1 and 65535`);

/** What a caller asks for: a port inside, and the host port (absent: a free one is picked). */
export const portRequestSchema = z
  .object({
    port: portNumber('port'),
    hostPort: portNumber('hostPort').optional(),
  })
  .strict();
export type PortRequest = z.infer<typeof portRequestSchema>;

/** What the workspace record keeps. hostPort null: picked when it is first published (the workspace was not running). */
export const publishedPortSchema = z.object({
  port: portNumber('port'),
  hostPort: portNumber('hostPort').nullable(),
});
export type PublishedPort = z.infer<typeof publishedPortSchema>;

/** A published port and whether its forwarder listens right now (why not, when it does not). */
export const portStatusSchema = publishedPortSchema.extend({
  listening: z.boolean(),
  /** http://127.0.0.1:HOSTPORT/ while listening. */
  url: z.string().nullable(),
  reason: z.string().nullable(),
});
export type PortStatus = z.infer<typeof portStatusSchema>;

/**
 * `PORT` or `HOSTPORT:PORT`, as `--publish` and `port add` take them. Returns
 * the request, or one line saying what is wrong with the text.
 */
export function parsePortSpec(text: string): PortRequest | { error: string } {
  const m = /^(?:(\d{1,6}):)?(\d{1,6})$/.exec(text.trim());
  if (!m) return { error: `"${text}" is not PORT or HOSTPORT:PORT (e.g. 8080 or 18080:8080)` };
  const port = Number(m[2]);
  const hostPort = m[1] === undefined ? undefined : Number(m[1]);
  for (const [what, n] of [['port', port], ['host port', hostPort]] as const) {
    if (n !== undefined && (n < PORT_RANGE.min || n > PORT_RANGE.max)) return { error: `${what} ${n} is out of range (1-65535)` };
  }
  return hostPort === undefined ? { port } : { port, hostPort };
}

/** `HOSTPORT:PORT`, or `?:PORT` when the host port is not picked yet. */
export function formatPort(p: PublishedPort): string {
  return `${p.hostPort ?? '?'}:${p.port}`;
}

/** Refuses two requests for the same port inside or the same host port; one line naming the duplicate. */
export function duplicatePort(list: readonly (PortRequest | PublishedPort)[]): string | null {
  const inside = new Set<number>();
  const host = new Set<number>();
  for (const p of list) {
    if (inside.has(p.port)) return `port ${p.port} is published twice`;
    inside.add(p.port);
    if (p.hostPort != null) {
      if (host.has(p.hostPort)) return `host port ${p.hostPort} is used twice`;
      host.add(p.hostPort);
    }
  }
  return null;
}
