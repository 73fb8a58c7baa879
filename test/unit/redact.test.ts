import { describe, expect, it } from 'vitest';
import { REDACTED, createRedactor, createStreamRedactor, isSensitiveKey, splitSensitive } from '../../src-main/core/secrets/redact';
import { displayCommand } from '../../src-main/core/workspaces/quote';

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
  it('treats a value that carries a URL password as a secret, whatever its key', () => {
    expect(splitSensitive({ REPO: 'https://me:ab@git.example.org/r.git', MIRROR: 'https://git.example.org/r.git', PROXY: 'http://me@proxy:3128' })).toEqual({
      plain: { MIRROR: 'https://git.example.org/r.git', PROXY: 'http://me@proxy:3128' },
      secret: { REPO: 'https://me:ab@git.example.org/r.git' },
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

describe('URL credentials', () => {
  // No known secret values at all: the password in a URL is redacted whatever it is.
  const r = createRedactor([]);

  it.each([
    ['https://user:TOKEN@host/', `https://user:${REDACTED}@host/`],
    ['git clone https://oauth2:glpat-x1y2z3@gitlab.example.org/g/p.git done', `git clone https://oauth2:${REDACTED}@gitlab.example.org/g/p.git done`],
    ['fatal: unable to access \'https://bob:ab@github.com/o/r/\': 403', `fatal: unable to access 'https://bob:${REDACTED}@github.com/o/r/': 403`],
    ['postgres://app:p%40ss@db:5432/x and redis://:sekret@cache:6379', `postgres://app:${REDACTED}@db:5432/x and redis://:${REDACTED}@cache:6379`],
    ['HTTPS_PROXY=http://me:x@proxy:3128', `HTTPS_PROXY=http://me:${REDACTED}@proxy:3128`],
    // A raw "@" in the password: everything up to the last "@" of the authority goes.
    ['https://u:p@ss@host/path', `https://u:${REDACTED}@host/path`],
  ])('%s', (input, expected) => {
    expect(r.text(input)).toBe(expected);
  });

  it.each([
    'mail a:b@c about it',
    'user:pass@host without a scheme',
    'https://host:8443/path',
    'https://registry.npmjs.org:443/@types/node',
    'ssh://git@github.com/o/r.git',
    'https://user@host/',
    'https://user:@host/',
    'see http://example.com/a:b@c for details',
    'time 12:30@noon',
  ])('leaves %s alone', (input) => {
    expect(r.text(input)).toBe(input);
  });

  it('reaches values too, even with no known secrets', () => {
    expect(r.value({ env: { REPO: 'https://u:t0k@h/x' }, list: ['https://u:t0k@h/x'] })).toEqual({
      env: { REPO: `https://u:${REDACTED}@h/x` },
      list: [`https://u:${REDACTED}@h/x`],
    });
  });

  it('stays one marker when the password is also a known secret', () => {
    expect(createRedactor(['hunter2']).text('https://u:hunter2@h/')).toBe(`https://u:${REDACTED}@h/`);
  });
});

describe('sensitive KEY=VALUE pairs', () => {
  const r = createRedactor([]);

  it.each([
    ['env API_TOKEN=ab cmd', `env API_TOKEN=${REDACTED} cmd`],
    ['podman run --env API_TOKEN=ab img', `podman run --env API_TOKEN=${REDACTED} img`],
    ['--env=DB_PASSWORD=x', `--env=DB_PASSWORD=${REDACTED}`],
    ['export API_TOKEN=ab', `export API_TOKEN=${REDACTED}`],
    ['export AWS_SECRET_ACCESS_KEY=" a b " && go', `export AWS_SECRET_ACCESS_KEY=${REDACTED} && go`],
    ["env 'API_TOKEN=a b' cmd", `env 'API_TOKEN=${REDACTED}' cmd`],
    // displayCommand quotes a whole argv element: a value inside quotes runs to the closing quote
    // (so a passphrase with spaces goes whole, at the price of over-redacting a quoted script).
    ["env 'DB_PASSWORD=it'\\''s a b' cmd", `env 'DB_PASSWORD=${REDACTED}' cmd`],
    ["sh -c 'API_TOKEN=ab run'", `sh -c 'API_TOKEN=${REDACTED}'`],
    // A string that is one assignment (an argv element) is redacted to its end.
    ['API_TOKEN=a b', `API_TOKEN=${REDACTED}`],
    ['API_TOKEN=a b\n', `API_TOKEN=${REDACTED}\n`],
    ['PATH=/bin\nGITHUB_TOKEN=z\nHOME=/root', `PATH=/bin\nGITHUB_TOKEN=${REDACTED}\nHOME=/root`],
    ['["env","API_TOKEN=ab","cmd"]', `["env","API_TOKEN=${REDACTED}","cmd"]`],
    ['\x1b[32mAPI_TOKEN=ab\x1b[0m', `\x1b[32mAPI_TOKEN=${REDACTED}\x1b[0m`],
  ])('%j', (input, expected) => {
    expect(r.text(input)).toBe(expected);
  });

  it.each([
    'the token was rejected: wrong password',
    'TOKEN expired; AUTH failed',
    'PATH=/usr/bin HOME=/root LANG=C.UTF-8',
    'sorted(items, key=len)',
    'password=ab in lower case is code, not an env var',
    'x == API_TOKEN',
    'MYAPI_TOKENS',
    'a.b=c FOO=bar',
    'API_TOKEN=\nNEXT=1',
    'lower.API_TOKEN=ab myAPI_TOKEN=ab',
  ])('leaves %j alone', (input) => {
    expect(r.text(input)).toBe(input);
  });

  it('redacts a displayed command by key, whatever the value', () => {
    for (const v of ['x', 'ab', "it's a b", 'a"b c', '']) {
      const shown = r.text(displayCommand(['env', `API_TOKEN=${v}`, 'FOO=bar', 'cmd']));
      expect(shown).toMatch(/^env '?API_TOKEN=(<redacted>)?'? FOO=bar cmd$/);
      if (v) expect(shown).not.toContain(v);
    }
  });

  it('redacts an argv element that is one assignment whole', () => {
    expect(r.value(['env', 'API_TOKEN=a b c', 'FOO=x y', 'cmd'])).toEqual(['env', `API_TOKEN=${REDACTED}`, 'FOO=x y', 'cmd']);
  });

  it('redacts a short value under a sensitive key in objects, whole', () => {
    expect(r.value({ env: { API_TOKEN: 'ab', PATH: '/bin', db_password: 'x' }, n: 1 })).toEqual({
      env: { API_TOKEN: REDACTED, PATH: '/bin', db_password: REDACTED },
      n: 1,
    });
  });

  it('keeps non-string values under a sensitive key, and redacts inside them by the usual rules', () => {
    expect(r.value({ secretKeys: ['API_TOKEN', 'DB_PASSWORD'], tokenCount: 3, auth: null, keys: { API_TOKEN: 'q' } })).toEqual({
      secretKeys: ['API_TOKEN', 'DB_PASSWORD'],
      tokenCount: 3,
      auth: null,
      keys: { API_TOKEN: REDACTED },
    });
  });
});

describe('redacting a whole record', () => {
  it('deep-redacts every string field of a journal entry, leaving numbers, booleans and null', () => {
    const r = createRedactor(['s3cr3tvalue']);
    const entry = {
      workspaceId: 'abc123',
      source: 'exec',
      command: 'env API_TOKEN=ab git clone https://me:tok@host/r.git',
      argv: ['env', 'API_TOKEN=ab', 'git', 'clone', 'https://me:tok@host/r.git'],
      cwd: '/workspace/s3cr3tvalue/sub',
      client: 'cli',
      startedAt: '2024-01-01T00:00:00.000Z',
      durationMs: 12,
      exitCode: 0,
      timedOut: false,
      event: null,
      detail: null,
      nested: [{ deep: ['x s3cr3tvalue'] }, 7, true, null],
    };
    const out = r.value(entry);
    expect(out).toEqual({
      ...entry,
      command: `env API_TOKEN=${REDACTED} git clone https://me:${REDACTED}@host/r.git`,
      argv: ['env', `API_TOKEN=${REDACTED}`, 'git', 'clone', `https://me:${REDACTED}@host/r.git`],
      cwd: `/workspace/${REDACTED}/sub`,
      nested: [{ deep: [`x ${REDACTED}`] }, 7, true, null],
    });
    expect(JSON.stringify(out)).not.toMatch(/s3cr3tvalue|tok@|=ab/);
  });
});

describe('createStreamRedactor', () => {
  it('replaces known values only: terminal bytes are never rewritten by pattern', () => {
    // A shell redraws its line (history, completion) in one write; rewriting "API_TOKEN=ab" there
    // would change the line's length under readline's cursor. Terminals get known values only.
    const s = createStreamRedactor(['hunter2']);
    expect(s.push('API_TOKEN=ab https://u:p@h/ hunter2\n') + s.flush()).toBe(`API_TOKEN=ab https://u:p@h/ ${REDACTED}\n`);
  });
});
