/**
 * Benchtop's Apptainer builders, checked feature by feature against the
 * scitex command builder (build_exec_args, build_dev_pythonpath,
 * build_host_mount_binds, build_instance_start_script, _build_shell_command).
 */
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { apptainerOptionsSchema, workspaceSchema, type Workspace } from '../../src-preload/contract';
import {
  DEFAULT_PATH,
  INSTANCE_NAME_RE,
  SHELL_ENTRY_SCRIPT,
  TEXLIVE_BINS,
  TEXLIVE_SHARE_DIRS,
  assertInstanceName,
  buildExecArgv,
  buildInstanceExecArgv,
  buildInstanceListArgv,
  buildInstanceStartArgv,
  buildInstanceStopArgv,
  buildShellCommand,
  devPythonPath,
  hostMountBinds,
  imageKindOf,
  limitArgs,
  parseInstanceList,
  projectDirInside,
  secretEnvFor,
  sessionFlags,
  type ApptainerSpec,
} from '../../src-main/core/drivers/apptainer/argv';
import { apptainerSpecFor, createApptainerDriver, instanceNameFor } from '../../src-main/core/drivers/apptainer/driver';
import type { Driver, DriverContext } from '../../src-main/core/drivers/types';

function spec(over: Partial<ApptainerSpec> = {}): ApptainerSpec {
  return {
    image: '/img/lab.sif',
    username: 'alice',
    hostHome: '/data/ws/abc/home',
    project: '/home/alice/paper',
    projectSlug: 'paper',
    projectMount: 'home',
    hostname: 'paper',
    env: {},
    devRepos: [],
    hostMounts: [],
    limits: {},
    gpu: false,
    network: 'full',
    ...over,
  };
}

/** The value following `flag` at every occurrence. */
function valuesOf(argv: string[], flag: string): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    if (a === flag && i + 1 < argv.length) out.push(argv[i + 1] as string);
  });
  return out;
}

/** True when `flag value` appears as an adjacent pair. */
function hasPair(argv: string[], flag: string, value: string): boolean {
  return argv.some((a, i) => a === flag && argv[i + 1] === value);
}

const BASE_ENV = (user: string, slug: string, inside: string) => [
  '--env', 'TERM=xterm-256color',
  '--env', `USER=${user}`,
  '--env', `LOGNAME=${user}`,
  '--env', 'SHELL=/bin/bash',
  '--env', `PATH=${DEFAULT_PATH}`,
  '--env', `BENCHTOP_PROJECT=${slug}`,
  '--env', `BENCHTOP_PROJECT_DIR=${inside}`,
];

describe('apptainer exec (scitex build_exec_args)', () => {
  it('minimal session: exact argv with the project at /home/USER/proj/SLUG', () => {
    expect(buildExecArgv(spec(), ['python', '-V'])).toEqual([
      'apptainer', 'exec',
      '--containall', '--cleanenv', '--writable-tmpfs',
      '--hostname', 'paper',
      ...BASE_ENV('alice', 'paper', '/home/alice/proj/paper'),
      '--home', '/data/ws/abc/home:/home/alice',
      '--bind', '/home/alice/paper:/home/alice/proj/paper:rw',
      '--pwd', '/home/alice/proj/paper',
      '/img/lab.sif',
      'python', '-V',
    ]);
  });

  it('full session: exact argv with dev repos, PYTHONPATH, workspace env, host mounts and TeX Live', () => {
    const argv = buildExecArgv(
      spec({
        env: { FOO: 'bar', EMPTY: '' },
        devRepos: [
          { name: 'a', hostPath: '/src/a' },
          { name: 'b', hostPath: '/src/b' },
        ],
        hostMounts: [{ hostPath: '/data/ref', containerPath: '/ref', mode: 'ro' }],
        texlivePrefix: '/usr',
      }),
      ['bash'],
    );
    expect(argv).toEqual([
      'apptainer', 'exec',
      '--containall', '--cleanenv', '--writable-tmpfs',
      '--hostname', 'paper',
      ...BASE_ENV('alice', 'paper', '/home/alice/proj/paper'),
      '--env', 'PYTHONPATH=/opt/dev/a/src:/opt/dev/b/src',
      '--env', 'FOO=bar',
      '--env', 'EMPTY=',
      '--home', '/data/ws/abc/home:/home/alice',
      '--bind', '/home/alice/paper:/home/alice/proj/paper:rw',
      '--bind', '/src/a:/opt/dev/a:ro',
      '--bind', '/src/b:/opt/dev/b:ro',
      '--bind', '/data/ref:/ref:ro',
      '--bind', '/usr/share/texlive:/usr/share/texlive:ro',
      '--bind', '/usr/share/texmf-dist:/usr/share/texmf-dist:ro',
      '--bind', '/usr/bin/pdflatex:/usr/bin/pdflatex:ro',
      '--bind', '/usr/bin/bibtex:/usr/bin/bibtex:ro',
      '--bind', '/usr/bin/latexmk:/usr/bin/latexmk:ro',
      '--bind', '/usr/bin/latexdiff:/usr/bin/latexdiff:ro',
      '--bind', '/usr/bin/kpsewhich:/usr/bin/kpsewhich:ro',
      '--bind', '/usr/bin/makeindex:/usr/bin/makeindex:ro',
      '--pwd', '/home/alice/proj/paper',
      '/img/lab.sif',
      'bash',
    ]);
  });

  it('starts with `apptainer exec` and the isolation flags', () => {
    const argv = buildExecArgv(spec(), ['true']);
    expect(argv.slice(0, 2)).toEqual(['apptainer', 'exec']);
    expect(argv).toContain('--containall');
    expect(argv).toContain('--cleanenv');
    expect(argv).toContain('--writable-tmpfs');
    expect(argv.indexOf('--containall')).toBeLessThan(argv.indexOf('--cleanenv'));
    expect(argv.indexOf('--cleanenv')).toBeLessThan(argv.indexOf('--writable-tmpfs'));
  });

  it('--hostname NAME is an adjacent pair', () => {
    const argv = buildExecArgv(spec({ hostname: 'my-host' }), ['true']);
    expect(hasPair(argv, '--hostname', 'my-host')).toBe(true);
    expect(valuesOf(argv, '--hostname')).toEqual(['my-host']);
  });

  it('--env for TERM, USER, LOGNAME, SHELL, PATH and the workspace variables', () => {
    const argv = buildExecArgv(spec({ username: 'bob', projectSlug: 'thesis', env: { LANG: 'C.UTF-8', OMP_NUM_THREADS: '4' } }), ['true']);
    const env = valuesOf(argv, '--env');
    expect(env).toContain('TERM=xterm-256color');
    expect(env).toContain('USER=bob');
    expect(env).toContain('LOGNAME=bob');
    expect(env).toContain('SHELL=/bin/bash');
    expect(env).toContain('PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin');
    expect(env).toContain('BENCHTOP_PROJECT=thesis');
    expect(env).toContain('BENCHTOP_PROJECT_DIR=/home/bob/proj/thesis');
    expect(env).toContain('LANG=C.UTF-8');
    expect(env).toContain('OMP_NUM_THREADS=4');
    // Workspace env comes after the fixed identity variables.
    expect(env.indexOf('LANG=C.UTF-8')).toBeGreaterThan(env.indexOf('BENCHTOP_PROJECT_DIR=/home/bob/proj/thesis'));
    // Every --env value is KEY=VALUE.
    for (const e of env) expect(e).toMatch(/^[A-Za-z_][A-Za-z0-9_]*=/);
  });

  it('--home HOSTDIR:/home/USER', () => {
    const argv = buildExecArgv(spec({ username: 'bob', hostHome: '/var/lib/benchtop/ws/1/home' }), ['true']);
    expect(hasPair(argv, '--home', '/var/lib/benchtop/ws/1/home:/home/bob')).toBe(true);
    expect(valuesOf(argv, '--home')).toHaveLength(1);
  });

  it("projectMount 'home': project bound rw at /home/USER/proj/SLUG and --pwd there", () => {
    const s = spec({ projectMount: 'home' });
    const argv = buildExecArgv(s, ['true']);
    expect(projectDirInside(s)).toBe('/home/alice/proj/paper');
    expect(hasPair(argv, '--bind', '/home/alice/paper:/home/alice/proj/paper:rw')).toBe(true);
    expect(valuesOf(argv, '--pwd')).toEqual(['/home/alice/proj/paper']);
    expect(valuesOf(argv, '--env')).toContain('BENCHTOP_PROJECT_DIR=/home/alice/proj/paper');
  });

  it("projectMount 'workspace': project bound rw at /workspace and --pwd there", () => {
    const s = spec({ projectMount: 'workspace' });
    const argv = buildExecArgv(s, ['true']);
    expect(projectDirInside(s)).toBe('/workspace');
    expect(hasPair(argv, '--bind', '/home/alice/paper:/workspace:rw')).toBe(true);
    expect(valuesOf(argv, '--bind').filter((b) => b.includes('/proj/'))).toEqual([]);
    expect(valuesOf(argv, '--pwd')).toEqual(['/workspace']);
    expect(valuesOf(argv, '--env')).toContain('BENCHTOP_PROJECT_DIR=/workspace');
  });

  it('a custom cwd replaces the default --pwd', () => {
    const argv = buildExecArgv(spec(), ['ls'], '/home/alice/proj/paper/figures');
    expect(valuesOf(argv, '--pwd')).toEqual(['/home/alice/proj/paper/figures']);
  });

  it('the image is last before the command, right after --pwd DIR', () => {
    const cmd = ['sh', '-c', 'echo hi'];
    const argv = buildExecArgv(spec({ image: '/img/sandbox-dir' }), cmd);
    expect(argv.slice(-cmd.length)).toEqual(cmd);
    expect(argv[argv.length - cmd.length - 1]).toBe('/img/sandbox-dir');
    expect(argv[argv.length - cmd.length - 3]).toBe('--pwd');
    expect(argv.indexOf('/img/sandbox-dir')).toBe(argv.length - cmd.length - 1);
  });
});

describe('dev repos (scitex build_dev_pythonpath + dev binds)', () => {
  const repos = [
    { name: 'a', hostPath: '/home/alice/dev/a' },
    { name: 'b', hostPath: '/home/alice/dev/b' },
  ];

  it('devPythonPath is the src layout, colon-separated, in order', () => {
    expect(devPythonPath(repos)).toBe('/opt/dev/a/src:/opt/dev/b/src');
    expect(devPythonPath([{ name: 'solo', hostPath: '/x' }])).toBe('/opt/dev/solo/src');
    expect(devPythonPath([])).toBe('');
  });

  it('each repo is bound HOST:/opt/dev/NAME:ro and PYTHONPATH is set', () => {
    const argv = buildExecArgv(spec({ devRepos: repos }), ['true']);
    const binds = valuesOf(argv, '--bind');
    expect(binds).toContain('/home/alice/dev/a:/opt/dev/a:ro');
    expect(binds).toContain('/home/alice/dev/b:/opt/dev/b:ro');
    expect(binds.indexOf('/home/alice/dev/a:/opt/dev/a:ro')).toBeLessThan(binds.indexOf('/home/alice/dev/b:/opt/dev/b:ro'));
    expect(valuesOf(argv, '--env')).toContain('PYTHONPATH=/opt/dev/a/src:/opt/dev/b/src');
  });

  it('no PYTHONPATH and no /opt/dev binds when there are no dev repos', () => {
    const argv = buildExecArgv(spec({ devRepos: [] }), ['true']);
    expect(valuesOf(argv, '--env').some((e) => e.startsWith('PYTHONPATH='))).toBe(false);
    expect(argv.some((a) => a.includes('/opt/dev'))).toBe(false);
  });
});

describe('host mounts and TeX Live (scitex build_host_mount_binds)', () => {
  it('generic mounts become --bind host:container:mode, in order', () => {
    expect(
      hostMountBinds([
        { hostPath: '/data/ref', containerPath: '/ref', mode: 'ro' },
        { hostPath: '/scratch/alice', containerPath: '/scratch', mode: 'rw' },
      ]),
    ).toEqual(['--bind', '/data/ref:/ref:ro', '--bind', '/scratch/alice:/scratch:rw']);
    expect(hostMountBinds([])).toEqual([]);
  });

  it('generic mounts reach the exec argv', () => {
    const argv = buildExecArgv(spec({ hostMounts: [{ hostPath: '/scratch/alice', containerPath: '/scratch', mode: 'rw' }] }), ['true']);
    expect(hasPair(argv, '--bind', '/scratch/alice:/scratch:rw')).toBe(true);
  });

  it('the lists match scitex exactly', () => {
    expect(TEXLIVE_BINS).toEqual(['pdflatex', 'bibtex', 'latexmk', 'latexdiff', 'kpsewhich', 'makeindex']);
    expect(TEXLIVE_SHARE_DIRS).toEqual(['texlive', 'texmf-dist']);
  });

  it('prefix /usr: share dirs then binaries, each :ro at the same path', () => {
    expect(hostMountBinds([], '/usr')).toEqual([
      '--bind', '/usr/share/texlive:/usr/share/texlive:ro',
      '--bind', '/usr/share/texmf-dist:/usr/share/texmf-dist:ro',
      '--bind', '/usr/bin/pdflatex:/usr/bin/pdflatex:ro',
      '--bind', '/usr/bin/bibtex:/usr/bin/bibtex:ro',
      '--bind', '/usr/bin/latexmk:/usr/bin/latexmk:ro',
      '--bind', '/usr/bin/latexdiff:/usr/bin/latexdiff:ro',
      '--bind', '/usr/bin/kpsewhich:/usr/bin/kpsewhich:ro',
      '--bind', '/usr/bin/makeindex:/usr/bin/makeindex:ro',
    ]);
  });

  it('a trailing slash on the prefix is stripped (rstrip("/"))', () => {
    const binds = valuesOf(hostMountBinds([], '/opt/tl/'), '--bind');
    expect(binds).toEqual([
      '/opt/tl/share/texlive:/opt/tl/share/texlive:ro',
      '/opt/tl/share/texmf-dist:/opt/tl/share/texmf-dist:ro',
      ...['pdflatex', 'bibtex', 'latexmk', 'latexdiff', 'kpsewhich', 'makeindex'].map((b) => `/opt/tl/bin/${b}:/opt/tl/bin/${b}:ro`),
    ]);
    expect(binds.some((b) => b.includes('//'))).toBe(false);
    expect(hostMountBinds([], '/opt/tl///')).toEqual(hostMountBinds([], '/opt/tl'));
  });

  it('generic mounts come before the TeX Live binds', () => {
    const binds = valuesOf(hostMountBinds([{ hostPath: '/h', containerPath: '/c', mode: 'ro' }], '/usr'), '--bind');
    expect(binds[0]).toBe('/h:/c:ro');
    expect(binds).toHaveLength(1 + 2 + 6);
  });

  it('no prefix: no TeX Live binds', () => {
    expect(buildExecArgv(spec(), ['true']).some((a) => a.includes('texlive') || a.includes('pdflatex'))).toBe(false);
  });
});

describe('image kind (SIF vs sandbox)', () => {
  const dir = { isFile: () => false, isDirectory: () => true };
  const file = { isFile: () => true, isDirectory: () => false };
  const other = { isFile: () => false, isDirectory: () => false };

  it('a directory is a sandbox', () => {
    expect(imageKindOf(dir, '/img/ubuntu-sandbox')).toBe('sandbox');
    expect(imageKindOf(dir, '/img/weird.sif')).toBe('sandbox');
  });

  it('a .sif file is a SIF', () => {
    expect(imageKindOf(file, '/img/lab.sif')).toBe('sif');
    expect(imageKindOf(file, '/img/LAB.SIF')).toBe('sif');
    expect(imageKindOf(file, '/img/old.simg')).toBe('sif');
  });

  it('neither a file nor a directory is rejected', () => {
    expect(imageKindOf(other, '/dev/null')).toBeNull();
  });
});

describe('instances (scitex build_instance_start_script)', () => {
  const full = spec({
    env: { FOO: 'bar' },
    devRepos: [{ name: 'a', hostPath: '/src/a' }],
    hostMounts: [{ hostPath: '/data/ref', containerPath: '/ref', mode: 'ro' }],
    texlivePrefix: '/usr',
    limits: { cpus: 2, memoryMiB: 2048, pids: 512 },
    gpu: true,
    network: 'none',
  });

  it('instance start: the same session flags as exec, no --pwd, image then instance name last', () => {
    const argv = buildInstanceStartArgv(full, 'benchtop-abc');
    expect(argv).toEqual(['apptainer', 'instance', 'start', ...sessionFlags(full), '/img/lab.sif', 'benchtop-abc']);
    expect(argv).not.toContain('--pwd');
    expect(argv.slice(-2)).toEqual(['/img/lab.sif', 'benchtop-abc']);
    // scitex: flags = exec_args[2:-1] minus the --pwd pair.
    const exec = buildExecArgv(full, []);
    const execFlags = exec.slice(2, -1).filter((f, i, all) => f !== '--pwd' && all[i - 1] !== '--pwd');
    expect(argv.slice(3, -2)).toEqual(execFlags);
  });

  it('instance start carries the isolation, identity, binds and limits', () => {
    const argv = buildInstanceStartArgv(full, 'benchtop-abc');
    for (const f of ['--containall', '--cleanenv', '--writable-tmpfs', '--nv']) expect(argv).toContain(f);
    expect(hasPair(argv, '--home', '/data/ws/abc/home:/home/alice')).toBe(true);
    expect(hasPair(argv, '--bind', '/home/alice/paper:/home/alice/proj/paper:rw')).toBe(true);
    expect(hasPair(argv, '--bind', '/src/a:/opt/dev/a:ro')).toBe(true);
    expect(hasPair(argv, '--cpus', '2')).toBe(true);
    expect(hasPair(argv, '--memory', '2048M')).toBe(true);
    expect(hasPair(argv, '--pids-limit', '512')).toBe(true);
  });

  it('instance exec: --cleanenv, --pwd, per-exec --env, instance://NAME, then the command', () => {
    expect(buildInstanceExecArgv('benchtop-abc', ['python', 'run.py'], { cwd: '/workspace', env: { A: '1', B: 'two words' } })).toEqual([
      'apptainer', 'exec', '--cleanenv',
      '--pwd', '/workspace',
      '--env', 'A=1',
      '--env', 'B=two words',
      'instance://benchtop-abc',
      'python', 'run.py',
    ]);
    expect(buildInstanceExecArgv('benchtop-abc', ['true'], { cwd: '/x' })).toEqual(['apptainer', 'exec', '--cleanenv', '--pwd', '/x', 'instance://benchtop-abc', 'true']);
  });

  it('instance list --json and instance stop NAME', () => {
    expect(buildInstanceListArgv()).toEqual(['apptainer', 'instance', 'list', '--json']);
    expect(buildInstanceStopArgv('benchtop-abc')).toEqual(['apptainer', 'instance', 'stop', 'benchtop-abc']);
  });

  it('parseInstanceList reads realistic output', () => {
    const json = JSON.stringify(
      {
        instances: [
          { instance: 'benchtop-abc', pid: 123, img: '/x.sif', ip: '', logErrPath: '/root/.apptainer/instances/logs/h/root/benchtop-abc.err', logOutPath: '/root/.apptainer/instances/logs/h/root/benchtop-abc.out' },
          { instance: 'other', pid: 456, img: '/y', ip: '10.22.0.2', logErrPath: '', logOutPath: '' },
        ],
      },
      null,
      4,
    );
    const m = parseInstanceList(`${json}\n`);
    expect(m.size).toBe(2);
    expect(m.get('benchtop-abc')).toEqual({ pid: 123, image: '/x.sif' });
    expect(m.get('other')).toEqual({ pid: 456, image: '/y' });
  });

  it('parseInstanceList of empty output is empty', () => {
    expect(parseInstanceList('').size).toBe(0);
    expect(parseInstanceList('  \n').size).toBe(0);
    expect(parseInstanceList('{"instances":[]}').size).toBe(0);
    expect(parseInstanceList('{}').size).toBe(0);
  });

  it('instance names are validated in start, exec and stop', () => {
    for (const good of ['benchtop-abc', 'a', 'A.b_c-9', 'benchtop-0123456789ab']) {
      expect(INSTANCE_NAME_RE.test(good)).toBe(true);
      expect(() => assertInstanceName(good)).not.toThrow();
      expect(() => buildInstanceStartArgv(spec(), good)).not.toThrow();
      expect(() => buildInstanceExecArgv(good, ['true'], { cwd: '/' })).not.toThrow();
      expect(() => buildInstanceStopArgv(good)).not.toThrow();
    }
    for (const bad of ['a b', 'x;rm', 'a/b', '', '$(id)', 'a\nb']) {
      expect(INSTANCE_NAME_RE.test(bad)).toBe(false);
      expect(() => assertInstanceName(bad)).toThrow(/instance name/);
      expect(() => buildInstanceStartArgv(spec(), bad)).toThrow(/instance name/);
      expect(() => buildInstanceExecArgv(bad, ['true'], { cwd: '/' })).toThrow(/instance name/);
      expect(() => buildInstanceStopArgv(bad)).toThrow(/instance name/);
    }
  });
});

describe('limits, GPU and network', () => {
  it('--cpus N, --memory NM, --pids-limit N', () => {
    expect(limitArgs({ cpus: 1.5, memoryMiB: 512, pids: 256 })).toEqual(['--cpus', '1.5', '--memory', '512M', '--pids-limit', '256']);
    expect(limitArgs({ cpus: 2 })).toEqual(['--cpus', '2']);
    expect(limitArgs({ memoryMiB: 64 })).toEqual(['--memory', '64M']);
    expect(limitArgs({ pids: 16 })).toEqual(['--pids-limit', '16']);
    expect(limitArgs({})).toEqual([]);
  });

  it('--apply-cgroups FILE alone', () => {
    expect(limitArgs({ applyCgroups: '/etc/benchtop/limits.toml' })).toEqual(['--apply-cgroups', '/etc/benchtop/limits.toml']);
    const argv = buildExecArgv(spec({ limits: { applyCgroups: '/etc/benchtop/limits.toml' } }), ['true']);
    expect(hasPair(argv, '--apply-cgroups', '/etc/benchtop/limits.toml')).toBe(true);
    for (const f of ['--cpus', '--memory', '--pids-limit']) expect(argv).not.toContain(f);
  });

  it('flags and --apply-cgroups together throw', () => {
    expect(() => limitArgs({ cpus: 1, applyCgroups: '/x.toml' })).toThrow(/not both/);
    expect(() => limitArgs({ memoryMiB: 128, applyCgroups: '/x.toml' })).toThrow(/not both/);
    expect(() => limitArgs({ pids: 32, applyCgroups: '/x.toml' })).toThrow(/not both/);
    expect(() => buildExecArgv(spec({ limits: { cpus: 1, applyCgroups: '/x.toml' } }), ['true'])).toThrow(/not both/);
    expect(() => buildInstanceStartArgv(spec({ limits: { cpus: 1, applyCgroups: '/x.toml' } }), 'benchtop-x')).toThrow(/not both/);
  });

  it('--nv only when gpu is true', () => {
    expect(buildExecArgv(spec({ gpu: true }), ['true'])).toContain('--nv');
    expect(buildExecArgv(spec({ gpu: false }), ['true'])).not.toContain('--nv');
  });

  it("network none → --net --network none; full → neither", () => {
    const none = buildExecArgv(spec({ network: 'none' }), ['true']);
    const i = none.indexOf('--net');
    expect(i).toBeGreaterThan(-1);
    expect(none.slice(i, i + 3)).toEqual(['--net', '--network', 'none']);
    const full = buildExecArgv(spec({ network: 'full' }), ['true']);
    expect(full).not.toContain('--net');
    expect(full).not.toContain('--network');
  });
});

describe('secrets', () => {
  const secrets = { API_TOKEN: 's3cr3t-VALUE-xyz', DB_PASS: 'hunter2-$(id)' };

  it('secretEnvFor maps K to APPTAINERENV_K', () => {
    expect(secretEnvFor(secrets)).toEqual({ APPTAINERENV_API_TOKEN: 's3cr3t-VALUE-xyz', APPTAINERENV_DB_PASS: 'hunter2-$(id)' });
    expect(secretEnvFor({})).toEqual({});
  });

  it('secret values never appear in any built argv', () => {
    const s = spec({ env: { PLAIN: 'visible' }, devRepos: [{ name: 'a', hostPath: '/a' }], texlivePrefix: '/usr', gpu: true, network: 'none', limits: { cpus: 1 } });
    const all = [
      buildExecArgv(s, ['true']),
      buildInstanceStartArgv(s, 'benchtop-abc'),
      buildInstanceExecArgv('benchtop-abc', ['true'], { cwd: '/workspace', env: { PLAIN: 'visible' } }),
      buildInstanceStopArgv('benchtop-abc'),
      buildInstanceListArgv(),
      buildShellCommand(),
    ];
    for (const argv of all) {
      const joined = argv.join('\u0000');
      for (const v of Object.values(secrets)) expect(joined).not.toContain(v);
      for (const k of Object.keys(secrets)) expect(joined).not.toContain(k);
    }
  });
});

describe('shell entry (scitex _build_shell_command)', () => {
  it('is /bin/sh -c SCRIPT', () => {
    const cmd = buildShellCommand();
    expect(cmd).toHaveLength(3);
    expect(cmd.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(cmd[2]).toBe(SHELL_ENTRY_SCRIPT);
  });

  it('fixes HOME to /home/$USER', () => {
    expect(SHELL_ENTRY_SCRIPT).toContain('export HOME="/home/$USER"');
  });

  it('fixes the passwd entry when running as uid 0', () => {
    expect(SHELL_ENTRY_SCRIPT).toContain('[ "$(id -u)" = "0" ]');
    expect(SHELL_ENTRY_SCRIPT).toContain('[ "$USER" != "root" ]');
    expect(SHELL_ENTRY_SCRIPT).toContain('sed -i "s|^root:[^:]*:0:0:[^:]*:[^:]*:|$USER:x:0:0:$USER:/home/$USER:|" /etc/passwd');
  });

  it('cds into $BENCHTOP_PROJECT_DIR', () => {
    expect(SHELL_ENTRY_SCRIPT).toContain('cd "$BENCHTOP_PROJECT_DIR"');
    expect(SHELL_ENTRY_SCRIPT).toContain('[ -d "$BENCHTOP_PROJECT_DIR" ]');
  });

  it('execs a login bash, falling back to sh when bash is absent', () => {
    expect(SHELL_ENTRY_SCRIPT).toContain('if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi');
  });

  it('is fixed text: the same for any workspace, no workspace data interpolated', () => {
    const before = buildShellCommand();
    buildExecArgv(spec({ username: 'mallory', projectSlug: 'evil', hostname: 'x' }), ['true']);
    expect(buildShellCommand()).toEqual(before);
    expect(SHELL_ENTRY_SCRIPT).not.toMatch(/alice|paper|mallory|evil/);
    // Only shell parameter references, no literal user/project names.
    expect(SHELL_ENTRY_SCRIPT).not.toContain('${');
  });

  it('is valid shell, and runs: HOME fixed, cd into the project dir, then the fallback shell', async () => {
    const { execa } = await import('execa');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const dir = mkdtempSync(`${os.tmpdir()}/bt-app-`);
    try {
      const syntax = await execa('sh', ['-n', '-c', SHELL_ENTRY_SCRIPT], { reject: false });
      expect(syntax.exitCode).toBe(0);
      // Replace the final exec by a probe (the user's login shell would wait on stdin).
      const probe = SHELL_ENTRY_SCRIPT.replace(/if command -v bash[^]*$/, 'echo "$HOME|$(pwd)"');
      // As uid 0 the script rewrites /etc/passwd unless USER is root: never let it touch this host's.
      const user = process.getuid?.() === 0 ? 'root' : 'nobody-test';
      const r = await execa('sh', ['-c', probe], {
        reject: false,
        env: { USER: user, BENCHTOP_PROJECT_DIR: dir, PATH: process.env.PATH ?? '/usr/bin:/bin' },
        extendEnv: false,
      });
      expect(r.stdout.trim()).toBe(`/home/${user}|${dir}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A Workspace with every field (validated by the schema itself). */
function workspace(over: Partial<Workspace> = {}): Workspace {
  const ws: Workspace = {
    id: 'abc123def456',
    name: 'paper',
    backend: 'apptainer',
    state: 'running',
    reason: null,
    image: '/img/lab.sif',
    imageKind: 'image',
    project: '/home/alice/paper',
    limits: { cpus: 2, memoryMiB: 1024, pids: 256, execTimeoutSec: 300 },
    unenforcedLimits: [],
    network: 'none',
    isolation: 'container',
    env: { FOO: 'bar' },
    secretKeys: ['API_TOKEN'],
    ttlSec: null,
    expiresAt: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    startedAt: '2026-01-01T00:00:01.000Z',
    stoppedAt: null,
    placement: { kind: 'local' },
    slurm: null,
    disk: null,
    mounts: [{ hostPath: '/data/ref', containerPath: '/ref', mode: 'ro' }],
    devRepos: [
      { name: 'a', hostPath: '/src/a' },
      { name: 'b', hostPath: '/src/b' },
    ],
    gpu: true,
    apptainer: { texlivePrefix: '/usr', projectMount: 'home' },
    ports: [],
    runtime: { containerName: 'benchtop-abc123def456' },
    ...over,
  };
  return workspaceSchema.parse(ws);
}

const expectedUser = /^[a-z_][a-z0-9_-]{0,31}$/.test(os.userInfo().username) ? os.userInfo().username : 'user';

describe('apptainerSpecFor (Workspace → spec)', () => {
  it('maps every field', () => {
    const s = apptainerSpecFor(workspace(), '/data/ws/abc/home');
    expect(s).toEqual({
      image: '/img/lab.sif',
      username: expectedUser,
      hostHome: '/data/ws/abc/home',
      project: '/home/alice/paper',
      projectSlug: 'paper',
      projectMount: 'home',
      hostname: 'paper',
      env: { FOO: 'bar' },
      devRepos: [
        { name: 'a', hostPath: '/src/a' },
        { name: 'b', hostPath: '/src/b' },
      ],
      hostMounts: [{ hostPath: '/data/ref', containerPath: '/ref', mode: 'ro' }],
      texlivePrefix: '/usr',
      limits: { cpus: 2, memoryMiB: 1024, pids: 256 },
      gpu: true,
      network: 'none',
    });
  });

  it('the spec builds the scitex-style instance start', () => {
    const argv = buildInstanceStartArgv(apptainerSpecFor(workspace(), '/data/ws/abc/home'), instanceNameFor('abc123def456'));
    expect(argv.slice(-2)).toEqual(['/img/lab.sif', 'benchtop-abc123def456']);
    expect(hasPair(argv, '--bind', `/home/alice/paper:/home/${expectedUser}/proj/paper:rw`)).toBe(true);
    expect(hasPair(argv, '--home', `/data/ws/abc/home:/home/${expectedUser}`)).toBe(true);
    expect(valuesOf(argv, '--env')).toContain('PYTHONPATH=/opt/dev/a/src:/opt/dev/b/src');
    expect(hasPair(argv, '--bind', '/usr/bin/latexmk:/usr/bin/latexmk:ro')).toBe(true);
    expect(argv).toContain('--nv');
  });

  it('projectMount defaults to workspace; no texlivePrefix key when unset', () => {
    const s = apptainerSpecFor(workspace({ apptainer: {} }), '/h');
    expect(s.projectMount).toBe('workspace');
    expect('texlivePrefix' in s).toBe(false);
    expect(projectDirInside(s)).toBe('/workspace');
  });

  it('limits listed in unenforcedLimits are NOT passed', () => {
    const s = apptainerSpecFor(workspace({ unenforcedLimits: ['cpus', 'pids'] }), '/h');
    expect(s.limits).toEqual({ memoryMiB: 1024 });
    const argv = buildInstanceStartArgv(s, 'benchtop-x');
    expect(argv).not.toContain('--cpus');
    expect(argv).not.toContain('--pids-limit');
    expect(hasPair(argv, '--memory', '1024M')).toBe(true);

    const none = apptainerSpecFor(workspace({ unenforcedLimits: ['cpus', 'memory', 'pids'] }), '/h');
    expect(none.limits).toEqual({});
    expect(limitArgs(none.limits)).toEqual([]);
  });

  it('applyCgroups passes through (and with cpus/memory/pids also set, building throws)', () => {
    const only = apptainerSpecFor(
      workspace({ limits: { execTimeoutSec: 300 }, apptainer: { applyCgroups: '/etc/bt/limits.toml' } }),
      '/h',
    );
    expect(only.limits).toEqual({ applyCgroups: '/etc/bt/limits.toml' });
    expect(hasPair(buildInstanceStartArgv(only, 'benchtop-x'), '--apply-cgroups', '/etc/bt/limits.toml')).toBe(true);
    const both = apptainerSpecFor(workspace({ apptainer: { applyCgroups: '/etc/bt/limits.toml' } }), '/h');
    expect(() => buildInstanceStartArgv(both, 'benchtop-x')).toThrow(/not both/);
  });

  it('no image gives an empty image path (resolveImage rejects it earlier)', () => {
    expect(apptainerSpecFor(workspace({ image: null }), '/h').image).toBe('');
  });
});

/** What a terminal (a login shell with a tty) runs, as the terminal service asks for it. */
function terminalLaunch(driver: Driver, ws: Workspace, secretEnv: Record<string, string>) {
  if (!driver.launch) throw new Error('apptainer is entered by a host program');
  return driver.launch(ws, { cwd: driver.defaultCwd(ws), env: {}, secretEnv, id: 'sess-1', stdin: true, tty: { cols: 80, rows: 24 } });
}

describe('driver: terminal entry through instance exec', () => {
  const ctx = {
    runner: { run: async () => ({ exitCode: 0, stdout: '', stderr: '' }) },
    host: { rootless: false, cgroup: 'v2' },
    workspaceDir: () => '/data/ws/abc',
  } as unknown as DriverContext;

  it('runs the fixed shell entry in instance://NAME with --pwd at the project, secrets only in env', () => {
    const ws = workspace();
    const driver = createApptainerDriver(ctx);
    const src = terminalLaunch(driver, ws, { API_TOKEN: 'tok-VALUE' });
    const argv = src.argv;
    expect(argv.slice(0, 5)).toEqual(['apptainer', 'exec', '--cleanenv', '--pwd', `/home/${expectedUser}/proj/paper`]);
    expect(argv.slice(-4)).toEqual(['instance://benchtop-abc123def456', ...buildShellCommand()]);
    expect(argv.join(' ')).not.toContain('tok-VALUE');
    expect(src.env.APPTAINERENV_API_TOKEN).toBe('tok-VALUE');
  });

  it('the terminal exec carries the session identity (env from instance start does not reach instance exec)', () => {
    const ws = workspace();
    const src = terminalLaunch(createApptainerDriver(ctx), ws, {});
    const env = valuesOf(src.argv, '--env');
    expect(env.some((e) => e.startsWith('BENCHTOP_EXEC'))).toBe(true);
    // `apptainer exec instance://` does not inherit what `instance start` was given, so each exec repeats it.
    expect(src.argv).toContain('--cleanenv');
    expect(env).toContain(`BENCHTOP_PROJECT_DIR=/home/${expectedUser}/proj/paper`);
    expect(env).toContain(`USER=${expectedUser}`);
    expect(env).toContain('FOO=bar');
  });
});

describe('persistent overlay and fakeroot (the scitex builder’s newer options)', () => {
  it('a persistent --overlay replaces the throwaway --writable-tmpfs; --fakeroot when asked', () => {
    const plain = sessionFlags(spec());
    expect(plain).toContain('--writable-tmpfs');
    expect(plain).not.toContain('--overlay');
    expect(plain).not.toContain('--fakeroot');
    const over = sessionFlags(spec({ overlay: '/data/overlays/ws.img', fakeroot: true }));
    expect(over.slice(0, 5)).toEqual(['--containall', '--cleanenv', '--overlay', '/data/overlays/ws.img', '--hostname']);
    expect(over).not.toContain('--writable-tmpfs');
    expect(over).toContain('--fakeroot');
    expect(buildInstanceStartArgv(spec({ overlay: '/o.img' }), 'benchtop-x')).toContain('--overlay');
  });

  it('the workspace’s options reach the spec', () => {
    const s = apptainerSpecFor(workspace({ apptainer: { overlay: '/data/o.img', fakeroot: true } }), '/h');
    expect([s.overlay, s.fakeroot]).toEqual(['/data/o.img', true]);
    expect(apptainerOptionsSchema.safeParse({ overlay: 'relative.img' }).success).toBe(false);
    expect(apptainerOptionsSchema.safeParse({ overlay: '/a/b.img', fakeroot: true }).success).toBe(true);
  });
});
