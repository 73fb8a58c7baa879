/**
 * Both stream redactors, at a chunk edge that falls right after a whole secret
 * which also begins a longer one: the longer one must still be redacted whole
 * (as it is when the text comes in one piece), not as its first part followed
 * by the rest of it in clear.
 */
import { describe, expect, it } from 'vitest';
import { REDACTED, createStreamRedactor } from '../../../../src-main/core/secrets/redact';
import { createByteRedactor } from '../../../../src-main/core/secrets/redact-bytes';

const text = (secrets: string[], chunks: string[]): string => {
  const r = createStreamRedactor(secrets);
  return [...chunks.map((c) => r.push(c)), r.flush()].join('');
};
const bytes = (secrets: string[], chunks: string[]): string => {
  const r = createByteRedactor(Object.fromEntries(secrets.map((v, i) => [`S${i}`, v])));
  return Buffer.concat([...chunks.map((c) => Buffer.from(r.push(Buffer.from(c)))), r.flush()]).toString();
};

describe.each([
  ['createStreamRedactor', text],
  ['createByteRedactor', bytes],
])('%s at a chunk edge', (_name, run) => {
  it('redacts a longer secret whole when the cut falls right after a shorter secret it begins with', () => {
    expect(run(['hunt', 'hunter22'], ['pw: hunt', 'er22\n'])).toBe(`pw: ${REDACTED}\n`);
    expect(run(['abcab', 'abcabd'], ['x abcab', 'd y'])).toBe(`x ${REDACTED} y`);
    // And the shorter one alone is still redacted once the longer one can no longer follow.
    expect(run(['hunt', 'hunter22'], ['pw: hunt', 'ing\n'])).toBe(`pw: ${REDACTED}ing\n`);
    expect(run(['hunt', 'hunter22'], ['pw: hunt'])).toBe(`pw: ${REDACTED}`);
  });

  it('never redacts inside a marker it already wrote', () => {
    // "ed>!" is a secret: the end of a marker followed by "!" must not be taken for it.
    expect(run(['hunter22', 'ed>!'], ['hunter22', '!'])).toBe(`${REDACTED}!`);
  });
});
