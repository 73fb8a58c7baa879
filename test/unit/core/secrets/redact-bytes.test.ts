/**
 * The byte-stream redactor (createByteRedactor, for a command's stdout and
 * stderr), under random chunkings that cut UTF-8 characters in half: the
 * concatenated output is the redaction of the whole stream, byte for byte.
 * (test/unit/redact-bytes.test.ts covers single cuts and non-UTF-8 bytes.)
 */
import { describe, expect, it } from 'vitest';
import { REDACTED } from '../../../../src-main/core/secrets/redact';
import { createByteRedactor } from '../../../../src-main/core/secrets/redact-bytes';
import { randomCuts, referenceRedact, seededRandom, splitAt } from './chunking';

function run(secrets: Record<string, string>, chunks: Buffer[]): Buffer {
  const r = createByteRedactor(secrets);
  return Buffer.concat([...chunks.map((c) => Buffer.from(r.push(c))), r.flush()]);
}

describe('createByteRedactor', () => {
  it('redacts a multi-byte secret cut inside any of its characters', () => {
    const bytes = Buffer.from('» pä🔑wört «');
    const want = Buffer.from(`» ${REDACTED} «`);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(run({ K: 'pä🔑wört' }, [bytes.subarray(0, cut), bytes.subarray(cut)]).toString(), `cut at byte ${cut}`).toBe(want.toString());
    }
  });

  it('gives the redaction of the whole stream for random byte chunkings (seeded), with nothing lost or duplicated', () => {
    const secrets = ['hunter22', 'hunt', 'ter2x', 'abcabd', 'abcab', 'pä🔑wört', 'xyz'];
    const env = Object.fromEntries(secrets.map((v, i) => [`S${i}`, v]));
    const tokens = [...secrets, 'hun', 'hunter2', 'ter', 'abcabc', 'abca', 'pä🔑', 'ä', '🔑', 'x', 'y', ' ', '\n', '<redacted>', 'abc'];
    const random = seededRandom(1127);
    for (let round = 0; round < 1500; round++) {
      let text = '';
      const n = 1 + Math.floor(random() * 14);
      for (let i = 0; i < n; i++) text += tokens[Math.floor(random() * tokens.length)];
      const bytes = Buffer.from(text);
      const chunks = splitAt(bytes, randomCuts(random, bytes.length, Math.floor(random() * 6)));
      const got = run(env, chunks);
      const want = Buffer.from(referenceRedact(text, secrets, REDACTED));
      // The message is built only for a failure: 1500 rounds stay fast.
      if (!got.equals(want)) expect(got.toString(), `round ${round}: ${JSON.stringify(chunks.map((c) => c.toString('hex')))}`).toBe(want.toString());
    }
  });
});
