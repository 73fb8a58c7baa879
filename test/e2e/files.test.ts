/**
 * The Files tab in real Chromium against the real browser host and a bwrap
 * workspace: a folder as the sandbox sees it (project and home links), a file
 * dropped on the tab and one picked are uploaded into the folder shown, a file
 * is downloaded byte for byte, each copy is a journal entry, and axe finds no
 * serious problem. Screenshots (1280×720) land in test-artifacts/screenshots.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BenchtopClient } from '../../src-preload/client';
import { axeViolations } from '../helpers/axe';
import { cleanup, tempDir } from '../helpers/cli';
import { launchBrowser, screenshot } from '../helpers/browser';
import { describeWith } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';

describeWith('chromium', 'the Files tab, in a real browser', () => {
  let home: string;
  let project: string;
  let local: string;
  let serve: ServeProcess;
  let context: BrowserContext;
  let page: Page;
  let client: BenchtopClient;
  let wsId: string;
  const names = (): Promise<string[]> => page.getByTestId('files-entry').locator('td:first-child').allInnerTexts();
  const path = (): Promise<string> => page.getByTestId('files-path').inputValue();

  beforeAll(async () => {
    home = tempDir('home');
    project = tempDir('proj');
    local = tempDir('local');
    mkdirSync(join(project, 'results'));
    writeFileSync(join(project, 'results', 'table.csv'), 'a,b\n1,2\n');
    writeFileSync(join(project, 'notes.txt'), 'notes from the host\n');
    serve = await startServe(home);
    ({ client } = await serve.connect());
    wsId = (await client.call('workspaces.create', { name: 'e2e-files', backend: 'bwrap', project })).id;
    ({ context, page } = await launchBrowser());
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(`${serve.url}#/w/${wsId}/files`);
    await page.getByTestId('files-list').waitFor({ timeout: 20_000 });
  });
  afterAll(async () => {
    await context?.close();
    if (wsId) await client?.call('workspaces.remove', { workspace: wsId }).catch(() => undefined);
    await serve?.stop();
    cleanup(home, project, local);
  });

  it('shows the project as the sandbox sees it, folders first, and goes to the home and back', async () => {
    expect(await path()).toBe('/workspace');
    expect(await names()).toEqual(['results/', 'notes.txt']);
    await screenshot(page, '70-files-project');
    await page.getByRole('button', { name: 'results/' }).click();
    await expect.poll(path, { timeout: 15_000 }).toBe('/workspace/results');
    expect(await names()).toEqual(['table.csv']);
    await page.getByTestId('files-home').click();
    await expect.poll(path, { timeout: 15_000 }).toBe('/home/user');
    await page.getByTestId('files-project').click();
    await expect.poll(path, { timeout: 15_000 }).toBe('/workspace');
    expect(await axeViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, '75-files-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('uploads a file dropped on the tab into the folder shown', async () => {
    await page.getByRole('button', { name: 'results/' }).click();
    await expect.poll(path, { timeout: 15_000 }).toBe('/workspace/results');
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['dropped bytes \u00e9\n'], 'dropped.txt', { type: 'text/plain' }));
      const tab = document.querySelector('[data-testid="files-tab"]') as HTMLElement;
      tab.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      (window as unknown as { dropped: DataTransfer }).dropped = dt;
    });
    await screenshot(page, '71-files-dropping');
    await page.evaluate(() => {
      const dt = (window as unknown as { dropped: DataTransfer }).dropped;
      document.querySelector('[data-testid="files-tab"]')?.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await expect.poll(() => page.getByTestId('files-status').textContent(), { timeout: 20_000 }).toBe('Uploaded dropped.txt (17 B) to /workspace/results');
    await expect.poll(names, { timeout: 15_000 }).toEqual(['dropped.txt', 'table.csv']);
    expect(readFileSync(join(project, 'results', 'dropped.txt'), 'utf8')).toBe('dropped bytes \u00e9\n');
    await screenshot(page, '72-files-uploaded');
  });

  it('uploads picked files too, and downloads a file byte for byte', async () => {
    const picked = join(local, 'picked.bin');
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256));
    writeFileSync(picked, bytes);
    await page.getByTestId('files-pick').setInputFiles(picked);
    await expect.poll(() => page.getByTestId('files-status').textContent(), { timeout: 20_000 }).toBe('Uploaded picked.bin (293.0 KiB) to /workspace/results');
    expect(readFileSync(join(project, 'results', 'picked.bin')).equals(bytes)).toBe(true);

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download picked.bin' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('picked.bin');
    const saved = join(local, 'downloaded.bin');
    await file.saveAs(saved);
    expect(readFileSync(saved).equals(bytes)).toBe(true);
    await expect.poll(() => page.getByTestId('files-status').textContent(), { timeout: 15_000 }).toBe('Downloaded picked.bin (293.0 KiB)');
  });

  it('journals each copy, and says in one line what it could not do', async () => {
    const copies = (await client.call('journal.list', { workspace: wsId })).filter((e) => e.source === 'copy');
    expect(copies.map((e) => [e.event, e.status, e.copy?.path, e.client])).toEqual([
      ['copy-in', 'completed', '/workspace/results', 'web'],
      ['copy-in', 'completed', '/workspace/results', 'web'],
      ['copy-out', 'completed', '/workspace/results/picked.bin', 'web'],
    ]);
    await page.getByTestId('files-path').fill('/no/such/folder');
    await page.getByTestId('files-path').press('Enter');
    await expect.poll(() => page.getByTestId('files-error').textContent(), { timeout: 15_000 }).toBe('/no/such/folder: no such folder');
    await screenshot(page, '73-files-error');
    // Readable at 1024 px too.
    await page.setViewportSize({ width: 1024, height: 720 });
    await page.getByTestId('files-project').click();
    await expect.poll(path, { timeout: 15_000 }).toBe('/workspace');
    await screenshot(page, '74-files-1024');
    await page.setViewportSize({ width: 1280, height: 720 });
  });
});
