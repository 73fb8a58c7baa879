/** The workspace list's filter, sort, short project paths and stored view (src-renderer/src/workspaces/listView.ts). */
import { describe, expect, it } from 'vitest';
import type { Workspace } from '../../src-preload/contract';
import { DEFAULT_SORT, isFiltered, matches, nextSort, NO_FILTER, parseListView, projectLabel, shortPath, sortWorkspaces } from '../../src-renderer/src/workspaces/listView';

function ws(over: Partial<Workspace>): Workspace {
  return {
    id: over.name ?? 'x',
    name: 'x',
    backend: 'bwrap',
    state: 'created',
    reason: null,
    image: null,
    imageKind: 'system',
    project: '/home/ana/lab/x',
    createdAt: '2026-01-01T00:00:00.000Z',
    ...over,
  } as Workspace;
}

const a = ws({ name: 'alpha', backend: 'podman', state: 'running', image: 'localhost/torch:2', imageKind: 'image', project: '/home/ana/lab/vision', createdAt: '2026-01-03T00:00:00.000Z' });
const b = ws({ name: 'beta', backend: 'bwrap', state: 'stopped', project: '/home/ana/lab/Genomics', createdAt: '2026-01-01T00:00:00.000Z' });
const c = ws({ name: 'gamma', backend: 'host', state: 'running', project: '/srv/shared/vision-old', createdAt: '2026-01-02T00:00:00.000Z' });
const all = [a, b, c];
const names = (list: Workspace[]) => list.map((w) => w.name);

describe('workspace list filter', () => {
  it('passes everything with no filter', () => {
    expect(isFiltered(NO_FILTER)).toBe(false);
    expect(names(all.filter((w) => matches(w, NO_FILTER)))).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('matches words in the name, the image or the project path, any case, all words required', () => {
    const f = (text: string) => names(all.filter((w) => matches(w, { ...NO_FILTER, text })));
    expect(f('vision')).toEqual(['alpha', 'gamma']);
    expect(f('TORCH')).toEqual(['alpha']);
    expect(f('genomics')).toEqual(['beta']);
    expect(f('vision old')).toEqual(['gamma']);
    expect(f('  ')).toEqual(['alpha', 'beta', 'gamma']);
    expect(f('nothing-like-it')).toEqual([]);
  });

  it('combines text, backend and state', () => {
    expect(names(all.filter((w) => matches(w, { text: '', backend: 'host', state: '' })))).toEqual(['gamma']);
    expect(names(all.filter((w) => matches(w, { text: '', backend: '', state: 'running' })))).toEqual(['alpha', 'gamma']);
    expect(names(all.filter((w) => matches(w, { text: 'vision', backend: 'podman', state: 'running' })))).toEqual(['alpha']);
    expect(names(all.filter((w) => matches(w, { text: 'vision', backend: 'bwrap', state: '' })))).toEqual([]);
    expect(isFiltered({ ...NO_FILTER, state: 'running' })).toBe(true);
  });
});

describe('workspace list sort', () => {
  it('sorts by each column, both ways, without touching the input', () => {
    expect(names(sortWorkspaces(all, { key: 'name', dir: 'descending' }))).toEqual(['gamma', 'beta', 'alpha']);
    expect(names(sortWorkspaces(all, { key: 'backend', dir: 'ascending' }))).toEqual(['beta', 'gamma', 'alpha']);
    expect(names(sortWorkspaces(all, { key: 'created', dir: 'ascending' }))).toEqual(['beta', 'gamma', 'alpha']);
    expect(names(sortWorkspaces(all, { key: 'project', dir: 'ascending' }))).toEqual(['beta', 'alpha', 'gamma']);
    // Live states first; equal states in name order.
    expect(names(sortWorkspaces(all, { key: 'state', dir: 'ascending' }))).toEqual(['alpha', 'gamma', 'beta']);
    expect(names(sortWorkspaces(all, { key: 'state', dir: 'descending' }))).toEqual(['beta', 'alpha', 'gamma']);
    expect(names(all)).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('turns the same column around and starts a new one ascending', () => {
    expect(nextSort(DEFAULT_SORT, 'created')).toEqual({ key: 'created', dir: 'descending' });
    expect(nextSort({ key: 'created', dir: 'descending' }, 'created')).toEqual({ key: 'created', dir: 'ascending' });
    expect(nextSort({ key: 'created', dir: 'descending' }, 'name')).toEqual({ key: 'name', dir: 'ascending' });
  });
});

describe('workspace list project column and stored view', () => {
  it('keeps the last two folders of a long path', () => {
    expect(shortPath('/home/ana/lab/vision')).toBe('…/lab/vision');
    expect(shortPath('/data/x')).toBe('/data/x');
    expect(shortPath('/x')).toBe('/x');
  });

  it('cuts a long one in the middle, keeping its start and its end', () => {
    const cut = shortPath('/tmp/benchtop-proj-with-a-rather-long-folder-name-Ab12cd');
    expect(cut).toBe('/tmp/bench…r-name-Ab12cd');
    expect(cut).toHaveLength(24);
    expect(shortPath('/data/lab/cohort-2026-whole-exome/batch-17', 20)).toBe('…/cohort…me/batch-17');
  });

  it('calls the folder kept inside the workspace its own', () => {
    expect(projectLabel({ id: 'ab12', project: '/home/ana/.local/share/benchtop/workspaces/ab12/files' })).toBe('own folder');
    expect(projectLabel({ id: 'ab12', project: '/home/ana/workspaces/other/files' })).toBe('…/other/files');
  });

  it('reads back a stored view, dropping what it does not know', () => {
    const good = JSON.stringify({ filter: { text: 'vision', backend: 'podman', state: 'running' }, sort: { key: 'name', dir: 'descending' } });
    expect(parseListView(good)).toEqual({ filter: { text: 'vision', backend: 'podman', state: 'running' }, sort: { key: 'name', dir: 'descending' } });
    const bad = JSON.stringify({ filter: { text: 7, backend: 'docker', state: 'sleeping' }, sort: { key: 'colour', dir: 'up' } });
    expect(parseListView(bad)).toEqual({ filter: NO_FILTER, sort: { key: 'created', dir: 'ascending' } });
    expect(parseListView('{not json')).toEqual({ filter: NO_FILTER, sort: DEFAULT_SORT });
    expect(parseListView(null)).toEqual({ filter: NO_FILTER, sort: DEFAULT_SORT });
  });
});
