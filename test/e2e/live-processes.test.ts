/**
 * The live process count in real Chromium against the real browser host: a
 * host workspace where a CLI command left a background job shows "1 process"
 * in the list, on its page and in its overview; a second job raises
 * it without a reload; a stop from the CLI ends them and the count goes. An
 * idle bwrap workspace shows "0 processes". Screenshots at 1280×720.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BenchtopClient } from '../../src-preload/client';
import { axeViolations } from '../helpers/axe';
import { cli, cleanup, tempDir } from '../helpers/cli';
import { launchBrowser, screenshot } from '../helpers/browser';
import { processesWith } from '../helpers/inspect';
import { describeWith } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';

describeWith('chromium', 'live process counts, in a real browser', () => {
  let home: string;
  let project: string;
  let serve: ServeProcess;
  let client: BenchtopClient;
  let context: BrowserContext;
  let page: Page;
  let hostId: string;

  const rowCount = (name: string) => page.locator(`[data-name="${name}"]`).getByTestId('process-count');
  const background = (seconds: number) => cli(['exec', 'e2e-live-host', '--', 'sh', '-c', `sleep ${seconds} >/dev/null 2>&1 & echo started`], { home });

  beforeAll(async () => {
    home = tempDir('home');
    project = tempDir('proj');
    serve = await startServe(home);
    ({ client } = await serve.connect());
    hostId = (await client.call('workspaces.create', { name: 'e2e-live-host', backend: 'host', project, allowHost: true })).id;
    await client.call('workspaces.create', { name: 'e2e-live-bwrap', backend: 'bwrap', project });
    ({ context, page } = await launchBrowser());
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(serve.url);
    await page.getByTestId('shown-count').waitFor({ timeout: 60_000 });
  });
  afterAll(async () => {
    await context?.close();
    for (const name of ['e2e-live-host', 'e2e-live-bwrap']) await client?.call('workspaces.remove', { workspace: name }).catch(() => undefined);
    await serve?.stop();
    cleanup(home, project);
  });

  it('shows each workspace\'s count in the list, and follows it live', async () => {
    await expect.poll(() => rowCount('e2e-live-bwrap').textContent(), { timeout: 15_000 }).toBe('0 processes');
    expect((await background(41741)).stdout).toBe('started\n');
    await expect.poll(() => rowCount('e2e-live-host').textContent(), { timeout: 15_000 }).toBe('1 process');
    await screenshot(page, 'live-processes-list');
    expect(await axeViolations(page)).toEqual([]);
  });

  it('shows it on the workspace page and its overview; a stop ends them and the count goes', async () => {
    await page.locator('[data-name="e2e-live-host"] a.ws-name').click();
    const head = page.locator('.page-head').getByTestId('process-count');
    await expect.poll(() => head.textContent(), { timeout: 15_000 }).toBe('· 1 process');
    await background(41742);
    await expect.poll(() => head.textContent(), { timeout: 15_000 }).toBe('· 2 processes');
    expect(await page.getByText('2 processes live').count()).toBe(1);
    await screenshot(page, 'live-processes-page');
    expect(await axeViolations(page)).toEqual([]);
    expect((await cli(['stop', 'e2e-live-host'], { home })).exitCode).toBe(0);
    await page.locator('.page-head').getByTestId('state-badge').filter({ hasText: 'stopped' }).waitFor({ timeout: 15_000 });
    expect(await head.count()).toBe(0);
    expect(await processesWith(`BENCHTOP_WORKSPACE_ID=${hostId}`)).toEqual([]);
  });
});
