import { describe, expect, it } from 'vitest';
import { createByteRedactor } from '../../src-main/core/secrets/redact-bytes';

/** Feeds the chunks through a fresh redactor and returns everything it gave back. */
function run(secrets: Record<string, string>, chunks: Buffer[]): Buffer {
  const r = createByteRedactor(secrets);
  return Buffer.concat([...chunks.map((c) => r.push(c)), r.flush()]);
}

describe('byte redaction', () => {
  it('keeps every byte that is not a secret, including bytes that are not UTF-8', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(run({ TOKEN: 'hunter22' }, [all]).equals(all)).toBe(true);
    expect(run({}, [all]).equals(all)).toBe(true);
  });

  it('replaces a secret split across chunks at every possible cut', () => {
    const data = Buffer.concat([Buffer.from([0xff, 0x00]), Buffer.from('a hunter22 b'), Buffer.from([0xc3])]);
    const want = Buffer.concat([Buffer.from([0xff, 0x00]), Buffer.from('a <redacted> b'), Buffer.from([0xc3])]);
    for (let cut = 0; cut <= data.length; cut++) {
      expect(run({ TOKEN: 'hunter22' }, [data.subarray(0, cut), data.subarray(cut)]).equals(want), `cut at ${cut}`).toBe(true);
    }
    // One byte at a time.
    expect(run({ TOKEN: 'hunter22' }, [...data].map((b) => Buffer.from([b]))).equals(want)).toBe(true);
  });

  it('replaces the longest secret first, and a secret in a multi-byte character sequence', () => {
    expect(run({ A: 'abcdef', B: 'abc' }, [Buffer.from('xabcdefx abcx')]).toString()).toBe('x<redacted>x <redacted>x');
    expect(run({ A: 'pässwört' }, [Buffer.from('pässwört!')]).toString()).toBe('<redacted>!');
  });

  it('a value too short to replace everywhere is replaced where it is shown with its key', () => {
    const out = run({ API_TOKEN: 'ab' }, [Buffer.from('PATH=/bin\nAPI_TOKEN=ab\nlab ab\n')]);
    expect(out.toString()).toBe('PATH=/bin\nAPI_TOKEN=<redacted>\nlab ab\n');
  });
});
