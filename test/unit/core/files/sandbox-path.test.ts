/** Paths for a copy, made absolute inside the sandbox, and the copy scripts' refusals read back. */
import { describe, expect, it } from 'vitest';
import { resolveSandboxPath, sourcePath } from '../../../../src-main/core/files/sandbox-path';
import { copyInArgv, copyInChecksArgv, copyOutArgv, parseListing, refusalIn, unpackFolderIn } from '../../../../src-main/core/files/tar-scripts';

describe('resolveSandboxPath', () => {
  it('starts relative paths at the working folder and normalizes', () => {
    expect(resolveSandboxPath('a/b', '/workspace')).toEqual({ path: '/workspace/a/b', mustBeFolder: false });
    expect(resolveSandboxPath('.', '/workspace')).toEqual({ path: '/workspace', mustBeFolder: false });
    expect(resolveSandboxPath('../etc/./x', '/workspace')).toEqual({ path: '/etc/x', mustBeFolder: false });
    expect(resolveSandboxPath('/root//x', '/workspace')).toEqual({ path: '/root/x', mustBeFolder: false });
  });

  it('keeps that a trailing slash asks for a folder', () => {
    expect(resolveSandboxPath('/root/', '/w')).toEqual({ path: '/root', mustBeFolder: true });
    expect(resolveSandboxPath('sub/.', '/w')).toEqual({ path: '/w/sub', mustBeFolder: true });
    expect(resolveSandboxPath('/', '/w')).toEqual({ path: '/', mustBeFolder: false });
  });

  it('refuses to copy the root out whole', () => {
    expect(() => sourcePath('/', '/w')).toThrow('path: / cannot be copied out whole; copy a folder inside it');
    expect(() => sourcePath('..', '/w')).toThrow(/cannot be copied out whole/);
    expect(sourcePath('x/', '/w')).toBe('/w/x');
  });
});

describe('copy scripts', () => {
  it('pass paths as arguments, never inside the script', () => {
    const inn = copyInArgv("/w/it's $(x)", 'n;m', true);
    expect(inn.slice(0, 2)).toEqual(['sh', '-c']);
    expect(inn.slice(3)).toEqual(['benchtop-cp', "/w/it's $(x)", 'n;m', 'dir', '']);
    expect(copyInChecksArgv('/w/x', 'n', false).slice(2)).toEqual([inn[2], 'benchtop-cp', '/w/x', 'n', '', 'checks']);
    expect(inn[2]).not.toContain("it's");
    expect(copyOutArgv('/w/x').slice(3)).toEqual(['benchtop-cp', '/w/x']);
  });

  it("read the script's own refusal, and nothing else, as one", () => {
    expect(refusalIn('tar: x\nbenchtop-cp: NOT_FOUND: /w/x: no such file or folder\n')).toEqual({ code: 'NOT_FOUND', message: '/w/x: no such file or folder' });
    expect(refusalIn('benchtop-cp: BOGUS: x\n')).toBeNull();
    expect(refusalIn("tar: can't open 'x': Permission denied\n")).toBeNull();
  });

  it('take only a folder the script made as what a stopped copy left', () => {
    expect(unpackFolderIn('/w/.benchtop-cp.Ab12Cd\n')).toBe('/w/.benchtop-cp.Ab12Cd');
    expect(unpackFolderIn('/\n')).toBeNull();
    expect(unpackFolderIn('')).toBeNull();
  });

  it('read a listing: NUL-ended fields, a name that is "+" kept, a lone "+" saying there is more', () => {
    const raw = (...f: string[]) => Buffer.from(f.map((x) => `${x}\0`).join(''));
    expect(parseListing(raw('/root', 'd', '0', 'sub', 'f', '12', 'a\nb', 'l', '0', '+'))).toEqual({
      home: '/root',
      entries: [
        { kind: 'dir', size: 0, name: 'sub' },
        { kind: 'file', size: 12, name: 'a\nb' },
        { kind: 'link', size: 0, name: '+' },
      ],
      truncated: false,
    });
    expect(parseListing(raw('/root', 'f', '1', 'x', '+')).truncated).toBe(true);
    expect(parseListing(raw('/root'))).toEqual({ home: '/root', entries: [], truncated: false });
  });
});
