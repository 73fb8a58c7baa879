/**
 * The app for a keyboard user, a narrow window and a screen reader, in real
 * Chromium against the real browser host and a bwrap workspace: the create
 * dialog is a modal dialog (focus kept in, Escape and the backdrop close it,
 * backends a radio group), its footer stays in view, its messages speak the
 * form's words; the list fits 1024 px; the sidebar says each state in words; a
 * terminal is renamed from the keyboard; axe-core finds no serious or critical
 * violation on the main screens. Screenshots land in test-artifacts/screenshots.
 */
import { existsSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BenchtopClient } from '../../src-preload/client';
import { cleanup, tempDir } from '../helpers/cli';
import { axeViolations } from '../helpers/axe';
import { launchBrowser, screenshot } from '../helpers/browser';
import { FIXTURE_ROOTFS } from '../helpers/fixtures';
import { describeWith, unavailable } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';

/** The element that has focus, described; and whether it is inside the open dialog. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    const dialog = document.querySelector('dialog[open]');
    return { inDialog: !!dialog && !!el && dialog.contains(el), isBody: el === document.body || el === null, testid: el?.getAttribute('data-testid') ?? null, tag: el?.tagName ?? '', value: (el as HTMLInputElement | null)?.value ?? '', text: el?.textContent?.trim() ?? '' };
  });

/** Whether an element lies wholly inside the viewport. */
async function inViewport(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).first().boundingBox();
  const vp = page.viewportSize();
  if (!box || !vp) return false;
  return box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width && box.y + box.height <= vp.height;
}

describeWith('chromium', 'the UI for keyboard users, narrow windows and screen readers', () => {
  let home: string;
  let project: string;
  let serve: ServeProcess;
  let client: BenchtopClient;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    home = tempDir('home');
    project = tempDir('proj-with-a-rather-long-folder-name-as-researchers-make-them');
    serve = await startServe(home);
    ({ client } = await serve.connect());
    ({ context, page } = await launchBrowser());
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(serve.url);
  });
  afterAll(async () => {
    await context?.close();
    await serve?.stop();
    cleanup(home, project);
  });

  it('passes axe on the empty list and the backends page', async () => {
    await page.getByText('No workspaces yet.').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByTestId('nav-backends').click();
    await page.locator('[data-backend="bwrap"]').getByText('available').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'a11y-01-backends');
    await page.goto(`${serve.url}#/`);
  });

  it('creates a workspace to sit behind the dialog', async () => {
    const image = existsSync(FIXTURE_ROOTFS) ? { image: FIXTURE_ROOTFS } : {};
    await client.call('workspaces.create', { name: 'behind-the-dialog', backend: 'bwrap', project, ...image });
    await page.locator('[data-name="behind-the-dialog"]').waitFor();
    // A wider row: limits recorded as not enforced, a TTL, a stopped state with its reason.
    await client.call('workspaces.create', { name: 'a-second-workspace-with-a-long-name', backend: 'bwrap', cpus: 2, memoryMiB: 512, pids: 256, bestEffortLimits: true, ttlSec: 7200, ...image });
    await client.call('workspaces.stop', { workspace: 'a-second-workspace-with-a-long-name' });
    await page.locator('[data-name="a-second-workspace-with-a-long-name"]').getByTestId('state-badge').filter({ hasText: 'stopped' }).waitFor();
  });

  it('opens the create dialog as a modal: first field focused, focus kept inside, Escape and the backdrop close it', async () => {
    await page.getByTestId('new-workspace').focus();
    await page.keyboard.press('Enter');
    await page.locator('dialog[open][data-testid="create-dialog"]').waitFor();
    expect((await focused(page)).testid).toBe('ws-name');
    await screenshot(page, 'a11y-02-create-dialog-1280x720');
    expect(await inViewport(page, '[data-testid="create-submit"]')).toBe(true);
    expect(await inViewport(page, '[data-testid="create-cancel"]')).toBe(true);
    expect(await axeViolations(page)).toEqual([]);

    // Shift+Tab from Name reaches the backend radio group, never the Delete button behind the backdrop.
    await page.keyboard.press('Shift+Tab');
    const radio = await focused(page);
    const chosen = await page.locator('input[name="backend"]:checked').inputValue();
    expect(radio).toMatchObject({ inDialog: true, tag: 'INPUT', value: chosen });
    // Arrow keys choose a backend; unavailable ones are skipped.
    await page.keyboard.press('ArrowRight');
    const next = await focused(page);
    expect(next.inDialog).toBe(true);
    expect(next.value).not.toBe(chosen);
    expect(await page.locator(`input[name="backend"][value="${next.value}"]`).isChecked()).toBe(true);
    await page.keyboard.press('ArrowLeft');
    expect((await focused(page)).value).toBe(chosen);

    // Round the whole tab order both ways: focus never lands on the page behind.
    for (const key of ['Tab', 'Shift+Tab']) {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press(key);
        const f = await focused(page);
        expect(f.inDialog || f.isBody, `${key} ×${i + 1} focused ${f.tag} ${f.testid ?? f.text}`).toBe(true);
        expect(f.testid).not.toBe('delete-workspace');
      }
    }

    await page.keyboard.press('Escape');
    await page.locator('[data-testid="create-dialog"]').waitFor({ state: 'detached' });
    expect((await focused(page)).testid).toBe('new-workspace');

    await page.getByTestId('new-workspace').click();
    await page.locator('dialog[open]').waitFor();
    await page.mouse.click(8, 8); // the backdrop
    await page.locator('[data-testid="create-dialog"]').waitFor({ state: 'detached' });
  });

  it('keeps Create and Cancel in view with an error, in the form’s own words', async () => {
    await page.getByTestId('new-workspace').click();
    await page.getByTestId('backend-bwrap').click();
    await page.getByTestId('ws-name').fill('Bad Name');
    await page.getByTestId('create-submit').click();
    const error = page.getByTestId('create-error');
    await expect.poll(() => error.textContent()).toMatch(/^Name: names use lower-case letters, digits, \. _ -/);
    expect(await error.textContent()).not.toMatch(/\^|\$|\{0,62\}/);
    expect(await page.getByTestId('ws-name').getAttribute('aria-invalid')).toBe('true');
    expect(await inViewport(page, '[data-testid="create-error"]')).toBe(true);
    expect(await inViewport(page, '[data-testid="create-submit"]')).toBe(true);
    expect(await inViewport(page, '[data-testid="create-cancel"]')).toBe(true);
    await screenshot(page, 'a11y-03-create-invalid-1280x720');
    expect(await axeViolations(page)).toEqual([]);

    // No backend card lets its text out (apptainer's hint is a long one).
    const overflowing = await page.locator('.backend-choice').evaluateAll((cards) => cards.filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.getAttribute('data-testid')));
    expect(overflowing).toEqual([]);
  });

  it('offers the host backend without an image or /workspace, and asks for the confirmation in words', async () => {
    await page.getByTestId('backend-host').click();
    await page.getByTestId('confirm-host').waitFor();
    expect(await page.getByTestId('ws-image').count()).toBe(0);
    expect(await page.getByTestId('ws-slurm').count()).toBe(0);
    const dialogText = (await page.getByTestId('create-dialog').textContent()) ?? '';
    expect(dialogText).not.toContain('/workspace');
    expect(dialogText).toContain('used in place');
    await page.getByTestId('ws-name').fill('on-the-host');
    await page.getByTestId('create-submit').click();
    await expect.poll(() => page.getByTestId('create-error').textContent()).toMatch(/^Host backend: tick the box/);
    expect(await page.getByTestId('create-error').textContent()).not.toMatch(/allowHost|--allow-host/);
    await screenshot(page, 'a11y-04-create-host');
  });

  it.skipIf(unavailable('podman') !== null && process.env.BENCHTOP_REQUIRE_RUNTIMES !== '1')('asks podman for an image as “Choose an image”, not --image', async () => {
    await page.getByTestId('backend-podman').click();
    await page.getByTestId('ws-name').fill('no-image');
    await page.getByTestId('create-submit').click();
    await expect.poll(() => page.getByTestId('create-error').textContent()).toMatch(/^Choose an image/);
    expect(await page.getByTestId('create-error').textContent()).not.toContain('--image');
    expect(await page.getByTestId('ws-image').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'a11y-05-create-podman-no-image');
  });

  it('closes the dialog with Cancel', async () => {
    await page.getByTestId('create-cancel').click();
    await page.locator('[data-testid="create-dialog"]').waitFor({ state: 'detached' });
  });

  it('passes axe on the list with a filter, a selection and the bulk bar, and with the delete question open', async () => {
    await page.getByTestId('filter-text').fill('a');
    await page.getByTestId('filter-backend').selectOption('bwrap');
    await page.getByTestId('select-all').check();
    await page.getByTestId('bulk-bar').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'a11y-list-filtered-bulk');
    await page.getByTestId('bulk-delete').click();
    await page.locator('dialog[open][data-testid="confirm-dialog"]').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'a11y-list-confirm-delete');
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      expect(await axeViolations(page), 'confirm dialog, dark').toEqual([]);
      await screenshot(page, 'a11y-list-confirm-delete-dark');
      await page.keyboard.press('Escape');
      await page.locator('[data-testid="confirm-dialog"]').waitFor({ state: 'detached' });
      expect(await axeViolations(page), 'bulk bar, dark').toEqual([]);
      await screenshot(page, 'a11y-list-filtered-bulk-dark');
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
    }
    await page.getByTestId('bulk-clear').click();
    await page.getByTestId('clear-filters').click();
  });

  it('fits the list and the workspace page into 1024 px, and says each state in words in the sidebar', async () => {
    await page.setViewportSize({ width: 1024, height: 720 });
    const ws = await client.call('workspaces.get', { workspace: 'behind-the-dialog' });
    expect(ws.state, `behind-the-dialog is ${ws.state}: ${ws.reason}`).toBe('running');
    const row = page.locator('[data-name="behind-the-dialog"]');
    await row.getByRole('button', { name: 'Stop behind-the-dialog' }).waitFor();
    expect(await inViewport(page, '[data-name="behind-the-dialog"] [data-testid="delete-workspace"]')).toBe(true);
    expect(await inViewport(page, '[data-name="behind-the-dialog"] button:has-text("Stop")')).toBe(true);
    expect(await inViewport(page, '[data-name="a-second-workspace-with-a-long-name"] [data-testid="delete-workspace"]')).toBe(true);
    expect(await inViewport(page, '[data-name="a-second-workspace-with-a-long-name"] button:has-text("Start")')).toBe(true);
    expect(await page.locator('main').evaluate((m) => m.scrollWidth <= m.clientWidth)).toBe(true);
    await expect.poll(() => page.getByTestId('ws-nav-item').first().textContent()).toMatch(/behind-the-dialog\s*running/);
    await screenshot(page, 'a11y-06-list-1024');
    await page.getByTestId('new-workspace').click();
    await page.locator('dialog[open]').waitFor();
    expect(await inViewport(page, '[data-testid="create-submit"]')).toBe(true);
    await screenshot(page, 'a11y-06b-create-dialog-1024');
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="create-dialog"]').waitFor({ state: 'detached' });
    expect(await axeViolations(page)).toEqual([]);

    await page.locator('[data-name="behind-the-dialog"] a.ws-name').click();
    await page.getByTestId('workspace-title').waitFor();
    expect(await inViewport(page, '.workspace-page .page-head button:has-text("Stop")')).toBe(true);
    expect(await page.locator('main').evaluate((m) => m.scrollWidth <= m.clientWidth)).toBe(true);
    await screenshot(page, 'a11y-07-workspace-1024');
    expect(await axeViolations(page)).toEqual([]);
  });

  it('renames a terminal from the keyboard (F2, or its rename button)', async () => {
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.getByTestId('tab-terminals').click();
    await page.getByTestId('new-terminal').click();
    await page.getByTestId('terminal-tab').first().waitFor();
    page.once('dialog', (d) => void d.accept('analysis'));
    await page.locator('.term-title').first().focus();
    await page.keyboard.press('F2');
    await expect.poll(() => page.locator('.term-title').first().textContent()).toBe('analysis');
    page.once('dialog', (d) => void d.accept('analysis-2'));
    await page.getByRole('button', { name: 'rename analysis' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.term-title').first().textContent()).toBe('analysis-2');
    await screenshot(page, 'a11y-08-terminal-renamed');
    expect(await axeViolations(page)).toEqual([]);
  });

  it('passes axe on the journal tab with entries', async () => {
    await page.getByTestId('tab-journal').click();
    await page.getByTestId('command-input').fill('echo for-the-journal');
    await page.getByTestId('command-run').click();
    await page.getByTestId('command-exit').filter({ hasText: 'exit 0' }).waitFor();
    await page.getByTestId('journal-row').first().waitFor();
    await page.getByTestId('journal-row').filter({ hasText: 'for-the-journal' }).first().click();
    await page.getByTestId('journal-stdout').waitFor();
    await screenshot(page, 'a11y-09-journal');
    expect(await axeViolations(page)).toEqual([]);
  });

  it('passes axe in the dark theme too (the system’s prefers-color-scheme), on every screen', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      await page.goto(`${serve.url.replace(/#.*$/, '')}#/`);
      await page.locator('[data-name="behind-the-dialog"]').waitFor();
      expect(await axeViolations(page), 'list').toEqual([]);
      await page.getByTestId('new-workspace').click();
      await page.locator('dialog[open][data-testid="create-dialog"]').waitFor();
      expect(await axeViolations(page), 'create dialog').toEqual([]);
      await screenshot(page, 'a11y-10-create-dialog-dark');
      await page.keyboard.press('Escape');
      await page.locator('[data-testid="create-dialog"]').waitFor({ state: 'detached' });
      await page.getByTestId('nav-backends').click();
      await page.locator('[data-backend="bwrap"]').getByText('available').waitFor();
      expect(await axeViolations(page), 'backends').toEqual([]);
      const ws = await client.call('workspaces.get', { workspace: 'behind-the-dialog' });
      await page.goto(`${serve.url.replace(/#.*$/, '')}#/w/${ws.id}/overview`);
      await page.getByTestId('workspace-title').waitFor();
      expect(await axeViolations(page), 'overview tab').toEqual([]);
      await page.getByTestId('tab-terminals').click();
      await page.getByTestId('terminal-tab').first().waitFor();
      expect(await axeViolations(page), 'terminals tab').toEqual([]);
      await page.getByTestId('tab-journal').click();
      await page.getByTestId('command-input').fill('echo in-the-dark');
      await page.getByTestId('command-run').click();
      await page.getByTestId('journal-row').filter({ hasText: 'in-the-dark' }).first().click();
      await page.getByTestId('journal-stdout').waitFor();
      await screenshot(page, 'a11y-11-journal-dark');
      expect(await axeViolations(page), 'journal tab').toEqual([]);
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
    }
  });

  it('passes axe on the help page (the README), light and dark', async () => {
    await page.getByTestId('nav-help').click();
    await page.getByTestId('help-page').getByRole('heading', { name: 'The two commands' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'a11y-12-help-dark');
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
    }
  });
});
