/**
 * The workspace list with twenty workspaces, in real Chromium against the real
 * browser host (bwrap and host workspaces): filters by words, backend and state
 * narrow the rows and outlive a reload; column headers sort both ways with
 * aria-sort; select-all takes the shown rows; Stop 3 stops three running ones
 * (and says which it skipped); Delete asks once in the app's own dialog (never
 * the browser's confirm), Escape there deletes nothing, and a failure is named
 * without losing the others; a workspace's own page deletes it and goes back;
 * at 1024 px the bulk bar fits and the rows scroll under a header that stays.
 * Screenshots land in test-artifacts/screenshots.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BenchtopClient } from '../../src-preload/client';
import { cleanup, tempDir } from '../helpers/cli';
import { launchBrowser, screenshot } from '../helpers/browser';
import { describeWith } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';

const RUNNING = ['wl-vision-1', 'wl-vision-2', 'wl-vision-3', 'wl-vision-4'];
const HOST = ['wl-genomics-a', 'wl-genomics-b'];
const IDLE = Array.from({ length: 14 }, (_, i) => `wl-idle-${String(i + 1).padStart(2, '0')}`);
const ALL = [...RUNNING, ...HOST, ...IDLE];

describeWith('chromium', 'the workspace list with many workspaces, in a real browser', () => {
  let home: string;
  let lab: string;
  let vision: string;
  let genomics: string;
  let serve: ServeProcess;
  let client: BenchtopClient;
  let context: BrowserContext;
  let page: Page;
  /** Every native dialog (alert, confirm, prompt) the page opened: there must be none. */
  const nativeDialogs: string[] = [];

  const rowNames = () => page.getByTestId('workspace-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));
  const shown = () => page.getByTestId('shown-count').textContent();
  const select = async (...names: string[]) => {
    for (const n of names) await page.locator(`[data-name="${n}"] [data-testid="select-row"]`).check();
  };
  const listed = async () => (await client.call('workspaces.list', {})).map((w) => w.name);
  const sortedHeader = () => page.locator('th[aria-sort]').evaluateAll((ths) => ths.map((th) => `${th.textContent?.replace(/[▲▼↕]/g, '').trim()} ${th.getAttribute('aria-sort')}`));
  /** The first list of a (re)loaded page can take seconds while the host answers. */
  const loaded = () => page.getByTestId('shown-count').waitFor({ timeout: 60_000 });
  const confirmDialog = () => page.locator('dialog[open][data-testid="confirm-dialog"]');

  beforeAll(async () => {
    home = tempDir('home');
    lab = tempDir('lab');
    vision = join(lab, 'vision', 'run-7');
    mkdirSync(vision, { recursive: true });
    // A long folder name, as researchers make them: the project cell must not push the row's actions out.
    genomics = tempDir('genomics-cohort-2026-whole-exome-sequencing-batch');
    serve = await startServe(home);
    ({ client } = await serve.connect());
    for (const name of RUNNING) await client.call('workspaces.create', { name, backend: 'bwrap', project: vision });
    for (const name of HOST) await client.call('workspaces.create', { name, backend: 'host', project: genomics, allowHost: true, start: false });
    for (const name of IDLE) await client.call('workspaces.create', { name, backend: 'bwrap', start: false });
    ({ context, page } = await launchBrowser());
    page.on('dialog', (d) => {
      nativeDialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(serve.url);
    await loaded();
  });
  afterAll(async () => {
    await context?.close();
    for (const name of RUNNING) await client?.call('workspaces.remove', { workspace: name }).catch(() => undefined);
    await serve?.stop();
    cleanup(home, lab, genomics);
  });

  it('shows all twenty, each with its project folder shortened and the full path on hover', async () => {
    // The first list may predate the last creates (a listing already under way); live updates bring the rest.
    await expect.poll(shown, { timeout: 15_000 }).toBe('20 of 20 shown');
    expect(await rowNames()).toEqual(ALL);
    const visionCell = page.locator('[data-name="wl-vision-1"] [data-testid="project-cell"] > div');
    expect(await visionCell.textContent()).toBe('…/vision/run-7');
    expect(await visionCell.getAttribute('title')).toBe(vision);
    expect(await page.locator('[data-name="wl-genomics-a"] [data-testid="project-cell"] > div').getAttribute('title')).toBe(genomics);
    expect(await page.locator('[data-name="wl-idle-01"] [data-testid="project-cell"]').textContent()).toBe('own folder');
    for (const name of RUNNING) expect((await client.call('workspaces.get', { workspace: name })).state).toBe('running');
  });

  it('narrows the rows by words, backend and state, together, with an empty state when nothing matches', async () => {
    const text = page.getByTestId('filter-text');
    await text.fill('genomics'); // in the project path only
    await expect.poll(rowNames).toEqual(HOST);
    expect(await shown()).toBe('2 of 20 shown');
    await text.fill('VISION run-7');
    await expect.poll(rowNames).toEqual(RUNNING);
    await text.fill('idle-1');
    await expect.poll(rowNames).toEqual(['wl-idle-10', 'wl-idle-11', 'wl-idle-12', 'wl-idle-13', 'wl-idle-14']);
    await text.fill('');

    await page.getByTestId('filter-backend').selectOption('host');
    await expect.poll(rowNames).toEqual(HOST);
    await page.getByTestId('filter-state').selectOption('running');
    await expect.poll(shown).toBe('0 of 20 shown');
    expect(await page.getByTestId('no-match').textContent()).toContain('No workspace matches these filters.');
    expect(await page.getByTestId('workspace-row').count()).toBe(0);
    await page.getByTestId('filter-backend').selectOption('');
    await expect.poll(rowNames).toEqual(RUNNING);
    await text.fill('vision-2');
    await expect.poll(rowNames).toEqual(['wl-vision-2']);
    await text.fill('vision');

    // Kept in sessionStorage: a reload finds the same filter and the same rows.
    await page.reload();
    await loaded();
    await expect.poll(rowNames).toEqual(RUNNING);
    expect(await page.getByTestId('filter-text').inputValue()).toBe('vision');
    expect(await page.getByTestId('filter-state').inputValue()).toBe('running');
    expect(await shown()).toBe('4 of 20 shown');
    await page.getByTestId('clear-filters').click();
    await expect.poll(shown).toBe('20 of 20 shown');
  });

  it('sorts by a column header, marks it with aria-sort, and turns the order around', async () => {
    expect(await sortedHeader()).toEqual(['Created ascending']);
    await page.getByTestId('sort-name').click();
    expect(await sortedHeader()).toEqual(['Name ascending']);
    expect(await rowNames()).toEqual([...ALL].sort());
    await page.getByTestId('sort-name').click();
    expect(await sortedHeader()).toEqual(['Name descending']);
    expect(await rowNames()).toEqual([...ALL].sort().reverse());

    await page.getByTestId('sort-state').click();
    expect(await sortedHeader()).toEqual(['State ascending']);
    expect((await rowNames()).slice(0, 4)).toEqual(RUNNING);
    await page.getByTestId('sort-backend').click();
    await page.getByTestId('sort-backend').click();
    expect(await sortedHeader()).toEqual(['Backend · image descending']);
    expect((await rowNames()).slice(0, 2)).toEqual(HOST);
    await page.getByTestId('sort-project').click();
    expect(await sortedHeader()).toEqual(['Project ascending']);
    await page.getByTestId('sort-created').click();
    expect(await rowNames()).toEqual(ALL);
  });

  it('selects all the shown rows, and only those', async () => {
    await page.getByTestId('filter-text').fill('genomics');
    await expect.poll(rowNames).toEqual(HOST);
    await page.getByTestId('select-all').check();
    expect(await page.getByTestId('bulk-count').textContent()).toBe('2 selected');
    // Neither runs: nothing to stop; both can be deleted.
    expect(await page.getByTestId('bulk-stop').isDisabled()).toBe(true);
    expect(await page.getByTestId('bulk-delete').textContent()).toBe('Delete 2');
    await page.getByTestId('clear-filters').click();
    await expect.poll(shown).toBe('20 of 20 shown');
    expect(await page.getByTestId('select-all').evaluate((el) => (el as HTMLInputElement).indeterminate)).toBe(true);
    await page.getByTestId('bulk-clear').click();
    expect(await page.getByTestId('bulk-bar').count()).toBe(0);
  });

  it('fits 1024 px with filters and the bulk bar, and scrolls the rows under a header that stays', async () => {
    await page.getByTestId('filter-backend').selectOption('bwrap');
    await expect.poll(shown).toBe('18 of 20 shown');
    await select('wl-vision-1', 'wl-vision-2', 'wl-idle-01');
    await screenshot(page, 'workspace-list-01-filtered-selected-1280x720');

    await page.setViewportSize({ width: 1024, height: 768 });
    const vp = { width: 1024, height: 768 };
    for (const id of ['bulk-stop', 'bulk-delete', 'bulk-clear', 'filter-text', 'filter-state', 'shown-count', 'new-workspace']) {
      const box = await page.getByTestId(id).boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= vp.width && box.y + box.height <= vp.height, `${id} in view at 1024 px`).toBe(true);
    }
    const overflow = await page.evaluate(() => {
      const main = document.querySelector('main') as HTMLElement;
      const scroll = document.querySelector('[data-testid="workspace-scroll"]') as HTMLElement;
      return { mainX: main.scrollWidth - main.clientWidth, mainY: main.scrollHeight - main.clientHeight, tableX: scroll.scrollWidth - scroll.clientWidth, tableY: scroll.scrollHeight - scroll.clientHeight };
    });
    // Nothing off to the side; the page itself does not scroll, the rows do.
    expect(overflow.mainX).toBeLessThanOrEqual(0);
    expect(overflow.tableX).toBeLessThanOrEqual(0);
    expect(overflow.mainY).toBeLessThanOrEqual(0);
    expect(overflow.tableY).toBeGreaterThan(0);
    await screenshot(page, 'workspace-list-03-filtered-selected-1024x768');

    // Every row's actions inside the scrolling box, from 1024 px up (the host rows carry the long project path).
    await page.getByTestId('filter-backend').selectOption('');
    for (const width of [1024, 1180, 1280]) {
      await page.setViewportSize({ width, height: 768 });
      const box = await page.getByTestId('workspace-scroll').boundingBox();
      const right = await page.getByTestId('delete-workspace').evaluateAll((els) => Math.max(...els.map((e) => e.getBoundingClientRect().right)));
      expect(box && right <= box.x + box.width, `row actions inside the list at ${width} px`).toBe(true);
      expect(await page.getByTestId('workspace-scroll').evaluate((el) => el.scrollWidth - el.clientWidth), `no sideways scroll at ${width} px`).toBeLessThanOrEqual(0);
    }
    await page.setViewportSize(vp);
    await page.getByTestId('filter-backend').selectOption('bwrap');

    await page.getByTestId('workspace-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight));
    const scrollBox = await page.getByTestId('workspace-scroll').boundingBox();
    const header = await page.locator('[data-testid="workspace-list"] thead th').nth(1).boundingBox();
    const lastRow = await page.locator('[data-name="wl-idle-14"]').boundingBox();
    expect(scrollBox && header && Math.abs(header.y - scrollBox.y)).toBeLessThanOrEqual(2);
    expect(lastRow && scrollBox && lastRow.y + lastRow.height <= scrollBox.y + scrollBox.height + 1).toBe(true);
    await screenshot(page, 'workspace-list-05-scrolled-1024x768');

    await page.getByTestId('bulk-delete').click();
    await confirmDialog().waitFor();
    const accept = await page.getByTestId('confirm-accept').boundingBox();
    expect(accept && accept.x + accept.width <= vp.width && accept.y + accept.height <= vp.height).toBe(true);
    await screenshot(page, 'workspace-list-04-confirm-1024x768');
    await page.keyboard.press('Escape');
    await confirmDialog().waitFor({ state: 'detached' });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.getByTestId('bulk-clear').click();
    await page.getByTestId('clear-filters').click();
  });

  it('stops the three selected running workspaces, with progress, and says which it skipped', async () => {
    await select('wl-vision-1', 'wl-vision-2', 'wl-vision-3', 'wl-idle-01');
    expect(await page.getByTestId('bulk-count').textContent()).toBe('4 selected');
    expect(await page.getByTestId('bulk-stop').textContent()).toBe('Stop 3');
    expect(await page.getByTestId('bulk-skipped').textContent()).toBe('1 not running, skipped');
    // Every progress line the bar shows, however briefly.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { progressSeen: string[] }).progressSeen = seen;
      new MutationObserver(() => {
        const t = document.querySelector('[data-testid="bulk-progress"]')?.textContent;
        if (t && seen[seen.length - 1] !== t) seen.push(t);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByTestId('bulk-stop').click();
    await expect.poll(() => page.getByTestId('bulk-summary').textContent(), { timeout: 60_000 }).toBe('Stopped 3 workspaces. 1 workspace not running, skipped.');
    const progress = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
    expect(progress.length).toBeGreaterThan(0);
    for (const line of progress) expect(line).toMatch(/^Stopping [123] of 3…$/);
    for (const name of RUNNING.slice(0, 3)) expect((await client.call('workspaces.get', { workspace: name })).state).toBe('stopped');
    expect((await client.call('workspaces.get', { workspace: 'wl-vision-4' })).state).toBe('running');
    expect((await client.call('workspaces.get', { workspace: 'wl-idle-01' })).state).toBe('created');
    // What was stopped leaves the selection; the skipped one stays selected.
    expect(await page.getByTestId('bulk-count').textContent()).toBe('1 selected');
    await page.getByTestId('bulk-clear').click();
  });

  it('asks once in its own dialog before deleting three; Escape there deletes nothing', async () => {
    const three = ['wl-idle-02', 'wl-idle-03', 'wl-idle-04'];
    await select(...three);
    await page.getByTestId('bulk-delete').click();
    await confirmDialog().waitFor();
    expect(await page.getByTestId('confirm-names').locator('li').allTextContents()).toEqual(three);
    expect(await confirmDialog().getByRole('button', { name: 'Delete 3 workspaces' }).count()).toBe(1);
    // Focus starts inside, on Cancel: Enter alone deletes nothing.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('confirm-cancel');
    await screenshot(page, 'workspace-list-02-confirm-1280x720');

    await page.keyboard.press('Escape');
    await confirmDialog().waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('bulk-delete');
    expect(await listed()).toEqual(expect.arrayContaining(three));
    expect(await page.getByTestId('bulk-count').textContent()).toBe('3 selected');

    await page.getByTestId('bulk-delete').click();
    await page.getByTestId('confirm-accept').click();
    await expect.poll(() => page.getByTestId('bulk-summary').textContent(), { timeout: 60_000 }).toBe('Deleted 3 workspaces.');
    const left = await listed();
    for (const name of three) expect(left).not.toContain(name);
    await expect.poll(rowNames).not.toEqual(expect.arrayContaining(['wl-idle-02']));
    for (const name of three) expect(await page.locator(`[data-name="${name}"]`).count()).toBe(0);
    expect(await page.getByTestId('bulk-bar').count()).toBe(0);
    expect(nativeDialogs).toEqual([]);
  });

  it('names a workspace that could not be deleted, and keeps the others’ results', async () => {
    await select('wl-idle-05', 'wl-idle-06', 'wl-idle-07');
    await page.getByTestId('bulk-delete').click();
    await confirmDialog().waitFor();
    // Someone else deletes one while the question is open.
    await client.call('workspaces.remove', { workspace: 'wl-idle-06' });
    await page.getByTestId('confirm-accept').click();
    await expect.poll(() => page.getByTestId('bulk-summary').textContent(), { timeout: 60_000 }).toBe('Deleted 2 of 3; 1 failed:');
    expect(await page.getByTestId('bulk-report').getAttribute('role')).toBe('alert');
    const failures = await page.getByTestId('bulk-failures').locator('li').allTextContents();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBe('wl-idle-06: already deleted elsewhere');
    const left = await listed();
    expect(left).not.toContain('wl-idle-05');
    expect(left).not.toContain('wl-idle-07');
    await screenshot(page, 'workspace-list-06-failure-report');
    expect(nativeDialogs).toEqual([]);
  });

  it('deletes one row from its own Delete button through the same dialog', async () => {
    await page.locator('[data-name="wl-idle-08"]').getByTestId('delete-workspace').click();
    await confirmDialog().waitFor();
    expect(await page.locator('#confirm-title').textContent()).toBe('Delete workspace “wl-idle-08”?');
    await page.getByTestId('confirm-accept').click();
    await page.locator('[data-name="wl-idle-08"]').waitFor({ state: 'detached' });
    expect(await listed()).not.toContain('wl-idle-08');
    expect(nativeDialogs).toEqual([]);
  });

  it('deletes a workspace from its own page, after the same question, and goes back to the list', async () => {
    await page.locator('[data-name="wl-idle-09"] a.ws-name').click();
    await page.getByTestId('workspace-title').filter({ hasText: 'wl-idle-09' }).waitFor();
    expect(await page.locator('.workspace-page .page-head').getByRole('button', { name: 'Start' }).count()).toBe(1);
    await page.getByTestId('page-delete').click();
    await confirmDialog().waitFor();
    await page.keyboard.press('Escape');
    await confirmDialog().waitFor({ state: 'detached' });
    expect(await listed()).toContain('wl-idle-09');
    expect(await page.getByTestId('workspace-title').textContent()).toBe('wl-idle-09');

    await page.getByTestId('page-delete').click();
    await page.getByTestId('confirm-accept').click();
    await page.getByTestId('workspace-list').waitFor();
    expect(await page.evaluate(() => location.hash)).toBe('#/');
    expect(await page.locator('[data-name="wl-idle-09"]').count()).toBe(0);
    await expect(client.call('workspaces.get', { workspace: 'wl-idle-09' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(nativeDialogs).toEqual([]);
  });
});
