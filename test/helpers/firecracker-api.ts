/**
 * Firecracker's own API description (test/fixtures/firecracker/firecracker.yaml,
 * pinned at v1.16.1) as validators: a body for one of its operations (method
 * and path, path parameters included) or one of its definitions. `strict`
 * also refuses fields the schema does not name, as Firecracker's parser does
 * (serde `deny_unknown_fields` on its config structs) though the YAML does
 * not say `additionalProperties: false`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { load } from 'js-yaml';

export const FIRECRACKER_YAML = join(import.meta.dirname, '..', 'fixtures', 'firecracker', 'firecracker.yaml');

interface Swagger {
  info: { version: string };
  paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string; schema?: object; required?: boolean }> }>>;
  definitions: Record<string, object>;
}

export const swagger = load(readFileSync(FIRECRACKER_YAML, 'utf8')) as Swagger;

/** Every object schema with properties, also closed to others. */
function closed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closed);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = closed(v);
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

function makeAjv(strict: boolean) {
  // Swagger's own formats (int64, an IP pattern written as a format) are not JSON Schema's: not checked.
  const ajv = new Ajv({ allErrors: true, unknownFormats: 'ignore', schemaId: 'auto', logger: false });
  ajv.addSchema({ definitions: strict ? closed(swagger.definitions) : swagger.definitions }, 'fc');
  return ajv;
}
const loose = makeAjv(false);
const strictAjv = makeAjv(true);

export interface Verdict {
  ok: boolean;
  errors: string;
}

function run(ajv: ReturnType<typeof makeAjv>, schema: object, body: unknown): Verdict {
  // The operation's schema is a $ref into the definitions: resolved against the document added as 'fc'.
  const rewritten = JSON.parse(JSON.stringify(schema).replace(/"#\/definitions\//g, '"fc#/definitions/')) as object;
  const ok = ajv.validate(rewritten, body) as boolean;
  return { ok, errors: ok ? '' : ajv.errorsText(ajv.errors) };
}

/** Validates `body` against definitions/NAME. */
export function validateDefinition(name: string, body: unknown, strict = true): Verdict {
  if (!swagger.definitions[name]) throw new Error(`firecracker.yaml has no definition ${name}`);
  return run(strict ? strictAjv : loose, { $ref: `#/definitions/${name}` }, body);
}

/** The operation for a concrete path (e.g. /drives/root matches /drives/{drive_id}), with the path's parameters. */
export function findOperation(method: string, path: string): { template: string; params: Record<string, string>; bodySchema: object | null } | null {
  for (const [template, ops] of Object.entries(swagger.paths)) {
    const names: string[] = [];
    const re = new RegExp(`^${template.replace(/\{([^}]+)\}/g, (_m, n: string) => (names.push(n), '([^/]+)'))}$`);
    const m = re.exec(path);
    const op = ops[method.toLowerCase()];
    if (!m || !op) continue;
    const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1] as string)]));
    const body = op.parameters?.find((p) => p.in === 'body');
    return { template, params, bodySchema: body?.schema ?? null };
  }
  return null;
}

/** Validates a request (method, path, body) against the operation firecracker.yaml gives that path. */
export function validateRequest(method: string, path: string, body: unknown, strict = true): Verdict & { template: string | null; params: Record<string, string> } {
  const op = findOperation(method, path);
  if (!op) return { ok: false, errors: `no ${method} ${path} in firecracker.yaml`, template: null, params: {} };
  if (!op.bodySchema) return { ok: false, errors: `${method} ${op.template} takes no body`, template: op.template, params: op.params };
  return { ...run(strict ? strictAjv : loose, op.bodySchema, body), template: op.template, params: op.params };
}
