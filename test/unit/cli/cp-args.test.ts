/** `benchtop cp`'s arguments: NAME:PATH only when NAME is an existing workspace, as podman cp reads them. */
import { describe, expect, it } from 'vitest';
import { candidateName, parseCopyArg, planCopy } from '../../../src-main/cli/cp-args';

const existing = new Set(['demo', 'w1.a_b-c']);
const parse = (a: string) => parseCopyArg(a, (n) => existing.has(n));

describe('parseCopyArg', () => {
  it('reads NAME:PATH for an existing workspace, the path as written', () => {
    expect(parse('demo:/etc/hosts')).toEqual({ kind: 'workspace', workspace: 'demo', path: '/etc/hosts' });
    expect(parse('demo:rel/a')).toEqual({ kind: 'workspace', workspace: 'demo', path: 'rel/a' });
    expect(parse('w1.a_b-c:x')).toEqual({ kind: 'workspace', workspace: 'w1.a_b-c', path: 'x' });
    // Only the first colon splits: the rest belongs to the path.
    expect(parse('demo:a:b')).toEqual({ kind: 'workspace', workspace: 'demo', path: 'a:b' });
  });

  it('takes an empty path as the working folder', () => {
    expect(parse('demo:')).toEqual({ kind: 'workspace', workspace: 'demo', path: '.' });
  });

  it('reads anything else as a local path', () => {
    expect(parse('/tmp/demo:x')).toEqual({ kind: 'local', path: '/tmp/demo:x' });
    expect(parse('./demo:x')).toEqual({ kind: 'local', path: './demo:x' });
    expect(parse('plain')).toEqual({ kind: 'local', path: 'plain' });
    expect(parse(':x')).toEqual({ kind: 'local', path: ':x' });
    // A name no workspace has is local, but remembered, to say which workspace is missing.
    expect(parse('ghost:/x')).toEqual({ kind: 'local', path: 'ghost:/x', named: 'ghost' });
    // Not a name a workspace could have (upper case): plainly local.
    expect(parse('C:/x')).toEqual({ kind: 'local', path: 'C:/x' });
  });

  it('offers only names a workspace could have for lookup', () => {
    expect([candidateName('demo:/x'), candidateName('./demo:x'), candidateName('/a:b'), candidateName('x'), candidateName('Ab:c')]).toEqual(['demo', null, null, null, null]);
  });
});

describe('planCopy', () => {
  it('goes in when the destination is in a workspace, out when the source is', () => {
    expect(planCopy(parse('./data'), parse('demo:/root/'))).toEqual({ direction: 'in', local: './data', workspace: 'demo', path: '/root/' });
    expect(planCopy(parse('demo:out'), parse('.'))).toEqual({ direction: 'out', workspace: 'demo', path: 'out', local: '.' });
  });

  it('refuses two local paths, two workspaces, and names the missing workspace', () => {
    expect(planCopy(parse('a'), parse('b'))).toEqual({ error: 'one of SRC and DEST must be NAME:PATH, a path in a workspace' });
    expect(planCopy(parse('demo:a'), parse('w1.a_b-c:b'))).toEqual({ error: 'copying from one workspace to another is not supported: copy out, then in' });
    expect(planCopy(parse('./f'), parse('ghost:/x'))).toEqual({ error: 'no workspace named "ghost" (a local path with a colon is written ./ghost:…)', unknown: 'ghost' });
  });
});
