import { describe, expect, it } from 'vitest';
import {
  SANDBOX_HOME,
  SANDBOX_PATH,
  buildBwrapArgv,
  groupFile,
  imageEntryNames,
  passwdFile,
  resolveSandboxUser,
  secretArgsPayload,
  systemEntriesFrom,
  type BwrapSpec,
} from '../../src-main/core/drivers/bwrap/argv';

const BW = '/usr/bin/bwrap';

function hostSpec(over: Partial<BwrapSpec> = {}): BwrapSpec {
  return {
    system: {
      root: '/',
      entries: [
        { name: 'usr', kind: 'dir' },
        { name: 'bin', kind: 'symlink', target: 'usr/bin' },
        { name: 'lib', kind: 'symlink', target: 'usr/lib' },
        { name: 'opt', kind: 'dir' },
      ],
      etcFiles: ['hosts', 'ssl'],
    },
    passwd: '/data/ws/passwd',
    group: '/data/ws/group',
    project: '/home/me/proj',
    home: '/data/ws/home',
    hostname: 'dev',
    network: 'none',
    cwd: '/workspace',
    env: { FOO: 'bar' },
    hasSecrets: false,
    newSession: true,
    term: 'dumb',
    argv: ['sh', '-c', 'echo hi'],
    ...over,
  };
}

/** Index of the pair [flag, ...values] in argv, or -1. */
function indexOfSeq(argv: string[], seq: string[]): number {
  for (let i = 0; i + seq.length <= argv.length; i++) if (seq.every((s, j) => argv[i + j] === s)) return i;
  return -1;
}

describe('buildBwrapArgv, host mode', () => {
  it('builds the whole argv in order', () => {
    const argv = buildBwrapArgv(BW, hostSpec());
    expect(argv).toEqual([
      BW, '--unshare-all',
      '--die-with-parent',
      '--new-session',
      '--uid', '1000', '--gid', '1000',
      '--hostname', 'dev',
      '--ro-bind', '/usr', '/usr',
      '--symlink', 'usr/bin', '/bin',
      '--symlink', 'usr/lib', '/lib',
      '--ro-bind', '/opt', '/opt',
      '--ro-bind-try', '/etc/hosts', '/etc/hosts',
      '--ro-bind-try', '/etc/ssl', '/etc/ssl',
      '--ro-bind', '/data/ws/passwd', '/etc/passwd',
      '--ro-bind', '/data/ws/group', '/etc/group',
      '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', '/run',
      '--bind', '/data/ws/home', SANDBOX_HOME,
      '--bind', '/home/me/proj', '/workspace',
      '--chdir', '/workspace',
      '--clearenv',
      '--setenv', 'HOME', '/home/user',
      '--setenv', 'USER', 'user',
      '--setenv', 'LOGNAME', 'user',
      '--setenv', 'PATH', SANDBOX_PATH,
      '--setenv', 'TERM', 'dumb',
      '--setenv', 'LANG', 'C.UTF-8',
      '--setenv', 'FOO', 'bar',
      '--',
      'sh', '-c', 'echo hi',
    ]);
  });

  it('--share-net only for network full', () => {
    expect(buildBwrapArgv(BW, hostSpec({ network: 'none' }))).not.toContain('--share-net');
    const full = buildBwrapArgv(BW, hostSpec({ network: 'full' }));
    expect(full.slice(0, 4)).toEqual([BW, '--unshare-all', '--share-net', '--die-with-parent']);
  });

  it('--new-session only when asked', () => {
    expect(buildBwrapArgv(BW, hostSpec({ newSession: false }))).not.toContain('--new-session');
    expect(buildBwrapArgv(BW, hostSpec({ newSession: true }))).toContain('--new-session');
  });

  it('--args 3 comes after --clearenv (and the setenvs) only when hasSecrets, before --', () => {
    expect(buildBwrapArgv(BW, hostSpec({ hasSecrets: false }))).not.toContain('--args');
    const argv = buildBwrapArgv(BW, hostSpec({ hasSecrets: true }));
    const args = indexOfSeq(argv, ['--args', '3']);
    expect(args).toBeGreaterThan(argv.indexOf('--clearenv'));
    expect(args).toBeGreaterThan(argv.lastIndexOf('--setenv'));
    expect(argv[args + 2]).toBe('--');
    expect(argv.slice(args + 3)).toEqual(['sh', '-c', 'echo hi']);
  });

  it('the user argv comes after -- verbatim, even when it looks like flags', () => {
    const argv = buildBwrapArgv(BW, hostSpec({ argv: ['--bind', '/', '/x'] }));
    const dd = argv.indexOf('--');
    expect(argv.slice(dd + 1)).toEqual(['--bind', '/', '/x']);
  });

  it('a caller env overrides defaults (TERM) and no secret value appears in argv', () => {
    const secret = 'hunter2-super-secret';
    const argv = buildBwrapArgv(BW, hostSpec({ env: { TERM: 'xterm' }, hasSecrets: true, term: 'dumb' }));
    expect(indexOfSeq(argv, ['--setenv', 'TERM', 'xterm'])).toBeGreaterThan(-1);
    expect(indexOfSeq(argv, ['--setenv', 'TERM', 'dumb'])).toBe(-1);
    expect(argv.join('\0')).not.toContain(secret);
  });
});

describe('buildBwrapArgv, image mode', () => {
  it('binds the image entries under its root, no etc files, no generated passwd', () => {
    const argv = buildBwrapArgv(
      BW,
      hostSpec({
        system: {
          root: '/srv/rootfs',
          entries: [
            { name: 'bin', kind: 'dir' },
            { name: 'etc', kind: 'dir' },
            { name: 'lib64', kind: 'symlink', target: 'lib' },
          ],
          etcFiles: null,
        },
        passwd: null,
        group: null,
        network: 'full',
        newSession: false,
        env: {},
        argv: ['/bin/sh'],
      }),
    );
    expect(argv).toEqual([
      BW, '--unshare-all', '--share-net', '--die-with-parent',
      '--uid', '1000', '--gid', '1000',
      '--hostname', 'dev',
      '--ro-bind', '/srv/rootfs/bin', '/bin',
      '--ro-bind', '/srv/rootfs/etc', '/etc',
      '--symlink', 'lib', '/lib64',
      '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', '/run',
      '--bind', '/data/ws/home', '/home/user',
      '--bind', '/home/me/proj', '/workspace',
      '--chdir', '/workspace',
      '--clearenv',
      '--setenv', 'HOME', '/home/user',
      '--setenv', 'USER', 'user',
      '--setenv', 'LOGNAME', 'user',
      '--setenv', 'PATH', SANDBOX_PATH,
      '--setenv', 'TERM', 'dumb',
      '--setenv', 'LANG', 'C.UTF-8',
      '--',
      '/bin/sh',
    ]);
    expect(argv).not.toContain('--ro-bind-try');
    expect(argv).not.toContain('/etc/passwd');
  });
});

describe('secretArgsPayload', () => {
  it('encodes NUL-separated --setenv K V triples', () => {
    const bytes = secretArgsPayload({ API_TOKEN: 'abc def', B: 'x=y' });
    const text = new TextDecoder().decode(bytes);
    expect(text).toBe('--setenv\0API_TOKEN\0abc def\0--setenv\0B\0x=y\0');
    expect(text.split('\0')).toEqual(['--setenv', 'API_TOKEN', 'abc def', '--setenv', 'B', 'x=y', '']);
  });

  it('is empty for no secrets', () => {
    expect(secretArgsPayload({}).length).toBe(0);
  });

  it('keeps multibyte values intact', () => {
    const text = new TextDecoder().decode(secretArgsPayload({ K: 'päss✓' }));
    expect(text).toBe('--setenv\0K\0päss✓\0');
  });
});

describe('systemEntriesFrom', () => {
  it('maps symlinks, dirs and files, drops missing, joins the root', () => {
    const seen: string[] = [];
    const fake = (p: string) => {
      seen.push(p);
      if (p.endsWith('/bin')) return { kind: 'symlink' as const, target: 'usr/bin' };
      if (p.endsWith('/usr')) return { kind: 'dir' as const };
      if (p.endsWith('/init')) return { kind: 'file' as const };
      return { kind: 'missing' as const };
    };
    expect(systemEntriesFrom('/', ['usr', 'bin', 'lib32', 'init'], fake)).toEqual([
      { name: 'usr', kind: 'dir' },
      { name: 'bin', kind: 'symlink', target: 'usr/bin' },
      { name: 'init', kind: 'file' },
    ]);
    expect(seen).toEqual(['/usr', '/bin', '/lib32', '/init']);
    seen.length = 0;
    systemEntriesFrom('/srv/r', ['usr'], fake);
    expect(seen).toEqual(['/srv/r/usr']);
  });
});

describe('imageEntryNames', () => {
  it('filters what the sandbox provides and sorts', () => {
    const all = ['usr', 'proc', 'dev', 'tmp', 'home', 'workspace', 'root', 'run', 'sys', 'mnt', 'media', 'var', 'lost+found', 'boot', 'etc', 'bin', 'lib', 'opt'];
    expect(imageEntryNames(all)).toEqual(['bin', 'etc', 'lib', 'opt', 'usr']);
  });
});

describe('passwd/group files', () => {
  it('define user 1000 with the sandbox home', () => {
    expect(passwdFile()).toContain('user:x:1000:1000:user:/home/user:/bin/sh\n');
    expect(groupFile()).toContain('user:x:1000:\n');
  });
});

describe('exec as a user (bwrap)', () => {
  const setenv = (argv: string[]) => {
    const out: Record<string, string> = {};
    argv.forEach((a, i) => {
      if (a === '--setenv') out[argv[i + 1] as string] = argv[i + 2] as string;
    });
    return out;
  };

  it('looks a name or uid up in the sandbox passwd; an unnamed uid runs as itself with / as home; an unknown name is null', () => {
    const pw = passwdFile();
    expect(resolveSandboxUser(pw, 'nobody')).toEqual({ uid: 65534, gid: 65534, name: 'nobody', home: '/nonexistent' });
    expect(resolveSandboxUser(pw, '65534')).toEqual({ uid: 65534, gid: 65534, name: 'nobody', home: '/nonexistent' });
    expect(resolveSandboxUser(pw, '0')).toEqual({ uid: 0, gid: 0, name: 'root', home: '/root' });
    expect(resolveSandboxUser(pw, '4242')).toEqual({ uid: 4242, gid: 4242, name: null, home: '/' });
    expect(resolveSandboxUser(pw, 'nosuch')).toBeNull();
    expect(resolveSandboxUser('broken line\n\nweird::x\n', 'weird')).toBeNull();
  });

  it('runs with the user’s uid, gid, HOME and USER (the default is the sandbox user)', () => {
    const as = buildBwrapArgv(BW, hostSpec({ user: { uid: 65534, gid: 65534, name: 'nobody', home: '/nonexistent' } }));
    expect(as.slice(as.indexOf('--uid'), as.indexOf('--uid') + 4)).toEqual(['--uid', '65534', '--gid', '65534']);
    expect(setenv(as)).toMatchObject({ HOME: '/nonexistent', USER: 'nobody', LOGNAME: 'nobody' });
    const anon = setenv(buildBwrapArgv(BW, hostSpec({ user: { uid: 4242, gid: 4242, name: null, home: '/' } })));
    expect(anon.HOME).toBe('/');
    expect('USER' in anon).toBe(false);
    const plain = buildBwrapArgv(BW, hostSpec());
    expect(plain.slice(plain.indexOf('--uid'), plain.indexOf('--uid') + 4)).toEqual(['--uid', '1000', '--gid', '1000']);
    expect(setenv(plain)).toMatchObject({ HOME: SANDBOX_HOME, USER: 'user' });
  });
});
