import { describe, expect, it } from 'vitest';
import { exportLine } from '../../src-renderer/src/journal/format';
import { LINE_ALIGN_BYTES, shownLabel, sliceBefore, sliceSkip, SLICE_BYTES } from '../../src-renderer/src/journal/outputSlice';
import type { JournalEntry } from '../../src-preload/contract';

const enc = (s: string) => new TextEncoder().encode(s);

describe('slices of a stored output read from its end', () => {
  it('a slice at the start of the file starts where it is', () => {
    expect(sliceSkip(enc('\x80abc\n'), true)).toBe(0);
  });

  it('starts after the first newline, so the first line shown is whole', () => {
    const bytes = enc('tail of line 41\nline 42\nline 43\n');
    const skip = sliceSkip(bytes, false);
    expect(new TextDecoder().decode(bytes.subarray(skip))).toBe('line 42\nline 43\n');
  });

  it('without a newline near, starts on the first whole UTF-8 character (never on a continuation byte)', () => {
    const full = enc('é€😀x'.repeat(3)); // 2-, 3- and 4-byte characters
    for (let cut = 0; cut < 10; cut++) {
      const bytes = full.subarray(cut);
      const skip = sliceSkip(bytes, false);
      expect(skip).toBeLessThanOrEqual(3);
      expect(bytes[skip]! & 0xc0).not.toBe(0x80);
      // Decodes without a replacement character.
      expect(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(skip))).toBe(new TextDecoder().decode(full.subarray(cut + skip)));
    }
  });

  it('a newline only past LINE_ALIGN_BYTES does not count; one as the last byte does not empty the slice', () => {
    const far = enc(`${'a'.repeat(LINE_ALIGN_BYTES)}\nb`);
    expect(sliceSkip(far, false)).toBe(0);
    expect(sliceSkip(enc('abc\n'), false)).toBe(0);
  });

  it('reads the slice before a start, never before the file', () => {
    expect(sliceBefore(200_000)).toEqual({ offset: 200_000 - SLICE_BYTES, length: SLICE_BYTES });
    expect(sliceBefore(1000)).toEqual({ offset: 0, length: 1000 });
    expect(sliceBefore(0)).toEqual({ offset: 0, length: 0 });
  });

  it('says how much is shown', () => {
    expect(shownLabel(0, 12 * 1024, 12 * 1024)).toBe('all 12 KiB');
    expect(shownLabel(3.2 * 1024 * 1024 - 64 * 1024, 3.2 * 1024 * 1024, 3.2 * 1024 * 1024)).toBe('last 64 KiB of 3.2 MiB');
  });
});

describe('a line of the JSONL export', () => {
  const entry = { seq: 3, command: 'make', stdout: { bytes: 5, storedBytes: 5, truncated: false }, stderr: null } as unknown as JournalEntry;
  it('is the entry alone, or with its outputs as text beside the sizes', () => {
    expect(JSON.parse(exportLine(entry))).toEqual(entry);
    const line = exportLine(entry, { stdoutText: 'done\n', stderrText: '' });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(JSON.parse(line)).toEqual({ ...entry, stdoutText: 'done\n', stderrText: '' });
  });
});
