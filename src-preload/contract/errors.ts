/**
 * The closed set of error codes that cross every boundary (IPC, WebSocket, CLI).
 * Errors travel as data — `{code, message, details}` — never as stack traces.
 */
import { z } from 'zod';

export const ERROR_CODES = [
  /** A payload, flag or name failed validation; `details.field` names it. */
  'INVALID_INPUT',
  /** No workspace / journal entry with that name, id or seq. */
  'NOT_FOUND',
  /** The backend is not installed or not usable here; `details.hint` says how to fix it. */
  'BACKEND_UNAVAILABLE',
  /** The backend ran and failed; `details` carries command, exitCode and stderr (redacted). */
  'BACKEND_FAILED',
  /** A limit was asked for that this backend cannot enforce on this host. */
  'LIMIT_UNENFORCEABLE',
  /** The workspace is in a state that does not allow the operation, or the name is taken. */
  'CONFLICT',
  /** Too many active workspaces (see the configured maximum), or a workspace over its disk quota (exec). */
  'QUOTA_EXCEEDED',
  /** An operation ran out of time. */
  'TIMEOUT',
  /** The caller cancelled it (e.g. an exec whose reader went away). */
  'CANCELLED',
  /** A bug in Benchtop: the message says what failed. */
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export const errorDataSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorData = z.infer<typeof errorDataSchema>;

/** The one error type every layer throws; it serialises to {@link ErrorData}. */
export class BenchtopError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'BenchtopError';
  }

  toData(): ErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromData(data: ErrorData): BenchtopError {
    return new BenchtopError(data.code, data.message, data.details);
  }
}

/** Turns anything thrown into error data; unknown throwables become INTERNAL. */
export function toErrorData(err: unknown): ErrorData {
  if (err instanceof BenchtopError) return err.toData();
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message };
}

/** Formats a zod failure as one line naming the first field that failed. */
export function invalidInput(error: z.ZodError, prefix = ''): BenchtopError {
  const issue = error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  const field = path || '(payload)';
  return new BenchtopError('INVALID_INPUT', `${field}: ${issue?.message ?? 'invalid'}`, { field });
}
