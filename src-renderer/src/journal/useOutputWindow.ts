/**
 * The part of one stored output stream on screen: a window [start, end) of
 * its bytes, opened on the last slice and grown backwards on request ("Load
 * earlier") or to the start (a search match in the head). While the entry
 * runs, new output is read from `end` every second (decoded as a stream, so a
 * character split across reads is whole once it is all there). Reads are by
 * exact bytes (base64) so slice edges are placed on character and line
 * boundaries here, never guessed by a decoder.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import { base64Bytes } from '../ids';
import { sliceBefore, sliceSkip, SLICE_BYTES } from './outputSlice';

/** How often the output of a running entry is read. */
const POLL_MS = 1000;
/** The largest read journal.readOutput allows. */
const MAX_READ = 8 * 1024 * 1024;

export interface OutputWindow {
  /** The text of [start, end). */
  text: string;
  start: number;
  end: number;
  /** Bytes stored so far (the file's size at the last read). */
  stored: number;
  /** Nothing read yet. */
  loading: boolean;
  /** A read of earlier output is under way. */
  loadingEarlier: boolean;
  /** Read to the end after the entry ended: nothing more will come. */
  settled: boolean;
  error: string | null;
}

interface Params {
  client: BenchtopClient;
  workspace: string;
  seq: number;
  stream: 'stdout' | 'stderr';
  /** The entry is known and has this stream (nothing is read otherwise). */
  enabled: boolean;
  /** Still being written: read on from the end every second. */
  running: boolean;
  /** Stored bytes as the entry says (finished entries); unknown while running. */
  storedBytes: number | null;
}

const EMPTY: OutputWindow = { text: '', start: 0, end: 0, stored: 0, loading: true, loadingEarlier: false, settled: false, error: null };

export function useOutputWindow({ client, workspace, seq, stream, enabled, running, storedBytes }: Params): {
  win: OutputWindow;
  loadEarlier: () => Promise<void>;
  loadAll: () => Promise<void>;
} {
  const [win, setWin] = useState<OutputWindow>(EMPTY);
  /** The truth between renders (reads chain on it); `win` is its last published copy. */
  const state = useRef(fresh());
  const publish = useCallback(() => {
    const s = state.current;
    setWin({ text: s.text, start: s.start, end: s.end, stored: s.stored, loading: s.loading, loadingEarlier: s.loadingEarlier, settled: s.settled, error: s.error });
  }, []);

  const read = useCallback(
    async (offset: number, length: number) => {
      const r = await client.call('journal.readOutput', { workspace, seq, stream, offset, length: Math.min(Math.max(length, 1), MAX_READ), encoding: 'base64' });
      return { bytes: base64Bytes(r.data), total: r.totalBytes, eof: r.eof };
    },
    [client, workspace, seq, stream],
  );

  // A new entry or stream: start over.
  useEffect(() => {
    state.current = fresh();
    setWin(EMPTY);
  }, [workspace, seq, stream]);

  // Open on the last slice, then (while running) follow the end. Ended: one last read to the end.
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const s = state.current;
    const step = async () => {
      try {
        if (!s.opened) {
          const size = storedBytes ?? (await read(0, 1)).total;
          if (!live) return;
          const { offset } = sliceBefore(size);
          const r = await read(offset, size - offset + (running ? MAX_READ : 0));
          if (!live) return;
          const skip = sliceSkip(r.bytes, offset === 0);
          s.start = offset + skip;
          s.end = offset + r.bytes.length;
          s.text = s.decoder.decode(r.bytes.subarray(skip), { stream: true });
          s.stored = Math.max(r.total, s.end);
          s.opened = true;
        }
        // Catch up with what was written since (a finished entry may have ended after it was first read).
        for (;;) {
          const r = await read(s.end, MAX_READ);
          if (!live) return;
          s.stored = r.total;
          if (r.bytes.length) {
            s.end += r.bytes.length;
            s.text += s.decoder.decode(r.bytes, { stream: true });
          }
          if (r.eof || !r.bytes.length) break;
        }
        if (!running) s.text += s.decoder.decode();
        s.loading = false;
        s.settled = !running;
        s.error = null;
        publish();
      } catch (err) {
        // Running: not there yet, or the connection is down; the next read tries again.
        if (live && !running) {
          s.loading = false;
          s.settled = true;
          s.error = (err as Error).message;
          publish();
        }
      }
      if (live && running) timer = setTimeout(queue, POLL_MS);
    };
    // One read at a time: a step of the previous run of this effect (before the entry ended) finishes first.
    const queue = () => void (s.queue = s.queue.then(step));
    queue();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [read, enabled, running, storedBytes, publish]);

  /** Prepends [from, start): `from` is placed on a line or character boundary first. */
  const prepend = useCallback(
    async (from: number) => {
      const s = state.current;
      if (s.start <= 0 || s.loadingEarlier) return;
      s.loadingEarlier = true;
      publish();
      try {
        const want = s.start;
        const chunks: Uint8Array[] = [];
        let at = Math.max(0, from);
        while (at < want) {
          const r = await read(at, want - at);
          if (!r.bytes.length) break;
          chunks.push(r.bytes);
          at += r.bytes.length;
        }
        if (state.current !== s || s.start !== want) return; // another entry, or another read got there first
        const bytes = concat(chunks);
        const skip = sliceSkip(bytes, from <= 0);
        // `want` starts a character, so this slice ends on one: decode it whole.
        s.text = new TextDecoder().decode(bytes.subarray(skip)) + s.text;
        s.start = Math.max(0, from) + skip;
        s.error = null;
      } catch (err) {
        s.error = `could not load earlier output: ${(err as Error).message}`;
      } finally {
        s.loadingEarlier = false;
        publish();
      }
    },
    [read, publish],
  );

  const loadEarlier = useCallback(() => prepend(sliceBefore(state.current.start, SLICE_BYTES).offset), [prepend]);
  const loadAll = useCallback(() => prepend(0), [prepend]);
  return { win, loadEarlier, loadAll };
}

function fresh() {
  return { ...EMPTY, opened: false, decoder: new TextDecoder(), queue: Promise.resolve() };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
