import { describe, expect, it } from 'vitest';
import { REDACTED, createRedactor, isSensitiveKey, splitSensitive } from '../../src-main/core/secrets/redact';

describe('isSensitiveKey', () => {
  it.each(['API_TOKEN', 'token', 'GITHUB_TOKEN', 'MY_SECRET', 'client_secret', 'DB_PASSWORD', 'password', 'PASSWD', 'AWS_ACCESS_KEY_ID', 'ssh_key', 'CREDENTIALS_FILE', 'credential', 'AUTH', 'BasicAuth', 'OAUTH_THING'])(
    '%s is sensitive',
    (k) => expect(isSensitiveKey(k)).toBe(true),
  );
  it.each(['PATH', 'HOME', 'USER', 'LANG', 'TERM', 'FOO', 'EDITOR', 'SHELL'])('%s is not sensitive', (k) =>
    expect(isSensitiveKey(k)).toBe(false),
  );
});

describe('splitSensitive', () => {
  it('splits an env map by key', () => {
    expect(splitSensitive({ PATH: '/bin', API_TOKEN: 't0k', HOME: '/h', db_password: 'pw' })).toEqual({
      plain: { PATH: '/bin', HOME: '/h' },
      secret: { API_TOKEN: 't0k', db_password: 'pw' },
    });
  });
  it('handles an empty map', () => {
    expect(splitSensitive({})).toEqual({ plain: {}, secret: {} });
  });
});

describe('createRedactor', () => {
  it('replaces every occurrence', () => {
    const r = createRedactor(['hunter2']);
    expect(r.text('a hunter2 b hunter2hunter2 c')).toBe(`a ${REDACTED} b ${REDACTED}${REDACTED} c`);
    expect(REDACTED).toBe('<redacted>');
  });

  it('replaces the longest secret first when one contains another', () => {
    const r = createRedactor(['abc', 'xxabcxx']);
    expect(r.text('[xxabcxx] [abc]')).toBe(`[${REDACTED}] [${REDACTED}]`);
    // Order of the input list does not matter.
    const r2 = createRedactor(['xxabcxx', 'abc']);
    expect(r2.text('xxabcxx')).toBe(REDACTED);
    expect(r2.text('xxabcxx')).not.toContain('xx');
  });

  it('leaves values shorter than 3 characters alone', () => {
    const r = createRedactor(['1', 'ab', 'abc']);
    expect(r.text('1 ab abc')).toBe(`1 ab ${REDACTED}`);
    const none = createRedactor(['x', '']);
    expect(none.text('x y x')).toBe('x y x');
    expect(none.value({ a: 'x' })).toEqual({ a: 'x' });
  });

  it('deep-redacts nested objects and arrays, keeping non-strings', () => {
    const r = createRedactor(['s3cret']);
    const input = {
      a: 'pre s3cret post',
      n: 42,
      b: true,
      z: null,
      list: ['s3cret', 1, { deep: ['x s3cret'] }],
      obj: { inner: { v: 's3crets3cret' } },
    };
    const out = r.value(input);
    expect(out).toEqual({
      a: `pre ${REDACTED} post`,
      n: 42,
      b: true,
      z: null,
      list: [REDACTED, 1, { deep: [`x ${REDACTED}`] }],
      obj: { inner: { v: `${REDACTED}${REDACTED}` } },
    });
    // The input is not mutated.
    expect(input.a).toBe('pre s3cret post');
    expect(JSON.stringify(out)).not.toContain('s3cret');
  });

  it('redacts a plain string value and passes other scalars through', () => {
    const r = createRedactor(['topsecret']);
    expect(r.value('topsecret!')).toBe(`${REDACTED}!`);
    expect(r.value(7)).toBe(7);
    expect(r.value(undefined)).toBeUndefined();
  });

  it('handles regex metacharacters literally', () => {
    const r = createRedactor(['a.b*c(d)$']);
    expect(r.text('x a.b*c(d)$ y aXbbbcd')).toBe(`x ${REDACTED} y aXbbbcd`);
  });

  it('a short secret that occurs inside the marker does not corrupt earlier redactions', () => {
    const r = createRedactor(['longsecret', 'red']);
    const out = r.text('longsecret');
    expect(out).not.toContain('longsecret');
    // One pass: a secret that occurs inside "<redacted>" (e.g. "red") never rewrites a marker.
    expect(out).toBe(REDACTED);
  });
});
