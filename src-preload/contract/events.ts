/** Every event pushed from main to its clients, declared once. */
import { z } from 'zod';
import { journalEntrySchema, terminalInfoSchema, workspaceSchema } from './domain';

export const events = {
  /** A workspace was created, changed state, or was removed (`removed: true`). */
  'workspace.changed': z.object({ workspace: workspaceSchema, removed: z.boolean() }),
  /** A journal entry was appended to a workspace's journal. */
  'journal.appended': z.object({ workspaceId: z.string(), entry: journalEntrySchema }),
  /** Output of a terminal (UTF-8, never split inside a character). Clients ack what they rendered. */
  'terminal.data': z.object({ id: z.string(), data: z.string() }),
  /**
   * Output of a running exec, sent only to the caller that asked for `stream`:
   * the bytes exactly as the command wrote them (secrets redacted), base64.
   */
  'exec.output': z.object({ execId: z.string(), stream: z.enum(['stdout', 'stderr']), data: z.string() }),
  /** A terminal was opened, renamed, ended (exitCode set) or closed (`closed: true`). */
  'terminal.changed': z.object({ terminal: terminalInfoSchema, closed: z.boolean() }),
  /** A chunk of a download's tar stream (base64), sent only to the caller of `files.download`. */
  'files.data': z.object({ transferId: z.string(), data: z.string() }),
  /** A progress line of an image pull, sent only to the caller that gave `pullId`. */
  'image.pullProgress': z.object({ pullId: z.string(), line: z.string() }),
  /** A progress line of a VM image build, sent only to the caller that gave `buildId`. */
  'vmImage.buildProgress': z.object({ buildId: z.string(), line: z.string() }),
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.infer<Events[E]>;
