/**
 * The terminal's stream redactor (createStreamRedactor): whatever the chunking,
 * the concatenated output is the redaction of the whole text — a secret split
 * at any point is still caught, a held-back prefix comes out on flush or with
 * the next chunk, and nothing is lost or said twice.
 */
import { describe, expect, it } from 'vitest';
import { REDACTED, createStreamRedactor } from '../../../../src-main/core/secrets/redact';
import { randomCuts, referenceRedact, seededRandom, splitAt } from './chunking';

/** Feeds the chunks through a fresh redactor: each piece it gave back, the flush last. */
function pieces(secrets: string[], chunks: string[]): string[] {
  const r = createStreamRedactor(secrets);
  return [...chunks.map((c) => r.push(c)), r.flush()];
}

const run = (secrets: string[], chunks: string[]): string => pieces(secrets, chunks).join('');

/** A lone UTF-16 surrogate: half a character, which a terminal would draw as garbage. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('createStreamRedactor', () => {
  it('redacts a secret cut at every possible position, and one character at a time', () => {
    const text = 'login: hunter22 ok\r\n';
    const want = `login: ${REDACTED} ok\r\n`;
    for (let cut = 0; cut <= text.length; cut++) {
      expect(run(['hunter22'], [text.slice(0, cut), text.slice(cut)]), `cut at ${cut}`).toBe(want);
    }
    expect(run(['hunter22'], [...text])).toBe(want);
    // Cut into three, everywhere.
    for (let a = 1; a < text.length; a++) {
      for (let b = a + 1; b < text.length; b++) {
        expect(run(['hunter22'], [text.slice(0, a), text.slice(a, b), text.slice(b)]), `cuts at ${a}, ${b}`).toBe(want);
      }
    }
  });

  it('holds back only what could begin a secret, and releases it on flush or with the next chunk', () => {
    const r = createStreamRedactor(['hunter22']);
    expect(r.push('$ echo hun')).toBe('$ echo ');
    expect(r.holding).toBe(true);
    expect(r.flush()).toBe('hun');
    expect(r.holding).toBe(false);
    expect(r.flush()).toBe('');
    // A prefix that turns out not to be the secret comes out with the next chunk, once.
    expect(r.push('a hunt')).toBe('a ');
    expect(r.push('ing\n')).toBe('hunting\n');
    expect(r.holding).toBe(false);
    // Nothing that could begin a secret: nothing held.
    expect(r.push('plain text\n')).toBe('plain text\n');
    expect(r.holding).toBe(false);
  });

  it('passes everything through untouched without secrets (or with ones too short to redact)', () => {
    for (const secrets of [[], ['ab']]) {
      const r = createStreamRedactor(secrets);
      expect(r.push('ab cd ')).toBe('ab cd ');
      expect(r.holding).toBe(false);
      expect(r.flush()).toBe('');
    }
  });

  it('redacts a secret made of multi-byte characters cut between any two of them, never splitting one', () => {
    const secret = 'pä🔑wört';
    const text = `→ ${secret} ←🙂`;
    const chars = [...text]; // as a UTF-8 decoder delivers them: whole code points
    const want = `→ ${REDACTED} ←🙂`;
    for (let cut = 0; cut <= chars.length; cut++) {
      const out = pieces([secret], [chars.slice(0, cut).join(''), chars.slice(cut).join('')]);
      expect(out.join(''), `cut at ${cut}`).toBe(want);
      for (const p of out) expect(p, `cut at ${cut}`).not.toMatch(LONE_SURROGATE);
    }
  });

  it('gives the redaction of the whole text for random chunkings (seeded), with nothing lost or duplicated', () => {
    // Secrets that overlap, contain one another, and share prefixes: where a chunk edge matters most.
    const secrets = ['hunter22', 'hunt', 'ter2x', 'abcabd', 'abcab', 'pä🔑wört', 'xyz'];
    const tokens = [...secrets, 'hun', 'hunter2', 'ter', 'abcabc', 'abca', 'pä🔑', 'ä', '🔑', 'x', 'y', ' ', '\n', '\x1b[31m', '<redacted>', 'abc'];
    const random = seededRandom(20261127);
    for (let round = 0; round < 1500; round++) {
      let text = '';
      const n = 1 + Math.floor(random() * 14);
      for (let i = 0; i < n; i++) text += tokens[Math.floor(random() * tokens.length)];
      const chars = [...text];
      const cuts = randomCuts(random, chars.length, Math.floor(random() * 6));
      const chunks = splitAt(chars, cuts).map((c) => c.join(''));
      const out = pieces(secrets, chunks);
      const want = referenceRedact(text, secrets, REDACTED);
      // The message is built only for a failure: 1500 rounds stay fast.
      if (out.join('') !== want) expect(out.join(''), `round ${round}: ${JSON.stringify(chunks)}`).toBe(want);
      if (out.some((p) => LONE_SURROGATE.test(p))) expect(out, `round ${round}`).not.toContainEqual(expect.stringMatching(LONE_SURROGATE));
    }
  });
});
