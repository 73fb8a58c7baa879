/**
 * The create form's own words for the contract's errors. The core speaks to
 * every client at once (its messages name CLI flags and payload fields:
 * `--image`, `allowHost:`, a regular expression); the form has labels and
 * checkboxes, so an error is told here by `details.field` in those terms.
 */
import { LIMIT_RANGES, type BenchtopError } from '../../../src-preload/contract';

export interface FormError {
  message: string;
  /** The form field to mark: the first part of `details.field`. */
  field?: string;
}

/** The form's label for each field of the create payload. */
const LABELS: Record<string, string> = {
  name: 'Name',
  image: 'Image',
  project: 'Project folder',
  cpus: 'CPUs',
  memoryMiB: 'Memory',
  pids: 'Processes',
  diskQuotaMiB: 'Disk quota',
  ttlSec: 'Time to live',
  network: 'Network',
  env: 'Environment',
  secrets: 'Secrets',
  slurm: 'SLURM',
  'slurm.partition': 'SLURM partition',
  'slurm.time': 'SLURM time limit',
  'slurm.cpus': 'SLURM CPUs',
  'slurm.memMiB': 'SLURM memory',
  'slurm.gres': 'SLURM GRES',
};

export const NAME_RULE = 'names use lower-case letters, digits, . _ - (starting with a letter or digit, at most 63 characters)';
export const CONFIRM_HOST = 'tick the box above to confirm that a host workspace has no isolation';
const BEST_EFFORT = 'tick “accept limits this backend cannot enforce” to create it with the limit recorded as not enforced';

/** What a number field accepts, in the form's units (TTL is asked in minutes). */
const RANGES: Record<string, string> = {
  cpus: `a number from ${LIMIT_RANGES.cpus.min} up to this host's cores`,
  memoryMiB: `a whole number of MiB from ${LIMIT_RANGES.memoryMiB.min} up to this host's memory`,
  pids: `a whole number from ${LIMIT_RANGES.pids.min} to ${LIMIT_RANGES.pids.max}`,
  diskQuotaMiB: `a whole number of MiB, at least ${LIMIT_RANGES.diskQuotaMiB.min}`,
  ttlSec: `from ${LIMIT_RANGES.ttlSec.min / 60} minute to ${LIMIT_RANGES.ttlSec.max / 86400} days`,
};

/** Drops the `field: ` prefix the contract puts before its messages, and CLI-only wording. */
function plain(message: string, field: string): string {
  const prefix = `${field}: `;
  const text = message.startsWith(prefix) ? message.slice(prefix.length) : message;
  return text
    .replace(/;?\s*pass --best-effort-limits to record it unenforced/, `; ${BEST_EFFORT}`)
    .replace(/;?\s*pass --allow-host to use it/, `; ${CONFIRM_HOST}`)
    .replace(/\bneeds --image\b/, 'needs an image')
    .replace(/--image\b/g, 'an image');
}

export function formError(err: BenchtopError | Error): FormError {
  const be = err as BenchtopError;
  const field = typeof be.details?.field === 'string' ? be.details.field : undefined;
  if (!field) return { message: err.message };
  const top = field.split('.')[0] as string;
  const label = LABELS[field] ?? LABELS[top] ?? top;
  const say = (text: string) => ({ message: `${label}: ${text}`, field: top });

  if (top === 'name' && be.code === 'INVALID_INPUT') return say(NAME_RULE);
  if (top === 'allowHost') return { message: `Host backend: ${CONFIRM_HOST}.`, field: top };
  if (top === 'image' && /needs --image/.test(be.message)) {
    const local = /local images: (.*)$/.exec(be.message)?.[1];
    return { message: `Choose an image: a local image (such as localhost/name:tag) or a rootfs folder.${local ? ` Local images: ${local}` : ''}`, field: top };
  }
  if (be.code === 'INVALID_INPUT' && RANGES[top] && !/between .* \(this host's/.test(be.message)) return say(RANGES[top] as string);
  return say(plain(be.message, field));
}
