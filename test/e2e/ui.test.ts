/**
 * End to end, as a researcher would: real Chromium against the real browser
 * host, real bwrap and podman. Screenshots land in test-artifacts/screenshots.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanup, tempDir } from '../helpers/cli';
import { launchBrowser, screenshot, waitForTerminal } from '../helpers/browser';
import { FIXTURE_IMAGE } from '../helpers/fixtures';
import { describeWith, unavailable } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';

async function createWorkspace(page: Page, fields: { name: string; backend: string; image?: string; project?: string; slurm?: boolean }): Promise<void> {
  await page.getByTestId('new-workspace').click();
  await page.getByTestId(`backend-${fields.backend}`).click();
  await page.getByTestId('ws-name').fill(fields.name);
  if (fields.image) await page.getByTestId('ws-image').fill(fields.image);
  if (fields.project) await page.getByTestId('ws-project').fill(fields.project);
  if (fields.slurm) await page.getByTestId('ws-slurm').check();
  await page.getByTestId('create-submit').click();
  await page.getByTestId('workspace-title').filter({ hasText: fields.name }).waitFor();
}

describeWith('chromium', 'the UI in a real browser', () => {
  let home: string;
  let project: string;
  let serve: ServeProcess;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    home = tempDir('home');
    project = tempDir('proj');
    serve = await startServe(home);
    ({ context, page } = await launchBrowser());
    page.on('dialog', (d) => void d.accept());
    await page.goto(serve.url);
  });
  afterAll(async () => {
    await context?.close();
    await serve?.stop();
    cleanup(home, project);
  });

  it('shows the empty workspace list and the detected backends', async () => {
    await page.getByText('No workspaces yet.').waitFor();
    await screenshot(page, '01-workspaces-empty');
    await page.getByTestId('nav-backends').click();
    await page.locator('[data-backend="bwrap"]').getByText('available').waitFor();
    await screenshot(page, '02-backends');
    await page.goto(serve.url);
  });

  it('validates the create dialog with the contract’s message', async () => {
    await page.getByTestId('new-workspace').click();
    await page.getByTestId('backend-bwrap').click();
    await page.getByTestId('ws-name').fill('Bad Name');
    await page.getByTestId('create-submit').click();
    await expect.poll(() => page.getByTestId('create-error').textContent()).toMatch(/^Name: names use lower-case letters/);
    await screenshot(page, '03-create-dialog-invalid');
    await page.getByRole('button', { name: 'Cancel' }).click();
  });

  it('asks before creating a project folder that does not exist', async () => {
    const missing = join(project, 'not-yet');
    await page.getByTestId('new-workspace').click();
    await page.getByTestId('backend-bwrap').click();
    await page.getByTestId('ws-name').fill('e2e-newfolder');
    await page.getByTestId('ws-project').fill(missing);
    await page.getByTestId('create-submit').click();
    await page.getByTestId('confirm-project').waitFor();
    expect(await page.getByTestId('confirm-project').textContent()).toContain(missing);
    // Nothing is made before the user says so.
    expect(existsSync(missing)).toBe(false);
    await screenshot(page, '15-create-asks-for-folder');
    await page.getByTestId('create-project-folder').click();
    await page.getByTestId('workspace-title').filter({ hasText: 'e2e-newfolder' }).waitFor();
    expect(existsSync(missing)).toBe(true);
    await page.goto(`${serve.url}#/`);
    await page.locator('[data-name="e2e-newfolder"]').getByTestId('delete-workspace').click();
    await page.getByTestId('confirm-accept').click();
    await page.getByText('No workspaces yet.').waitFor();
  });

  it('creates a bwrap workspace, opens a terminal and echoes', async () => {
    await createWorkspace(page, { name: 'e2e-bwrap', backend: 'bwrap', project });
    await page.getByTestId('tab-terminals').click();
    await page.getByTestId('new-terminal').click();
    await page.locator('.terminal-pane.active .xterm').click();
    await page.keyboard.type('echo hello\n');
    await waitForTerminal(page, /\nhello|hello\s*user@/);
    await screenshot(page, '04-terminal');
  });

  it('runs a command that writes into /workspace, finds it in the journal by search and opens its output', async () => {
    await page.getByTestId('tab-journal').click();
    await page.getByTestId('command-input').fill('echo results-42 | tee /workspace/out.txt');
    await page.getByTestId('command-run').click();
    await page.getByTestId('command-exit').filter({ hasText: 'exit 0' }).waitFor();
    expect(readFileSync(join(project, 'out.txt'), 'utf8')).toBe('results-42\n');
    await page.getByTestId('command-input').fill('echo unrelated');
    await page.getByTestId('command-run').click();
    await page.getByTestId('journal-search').fill('out.txt');
    await expect.poll(() => page.getByTestId('journal-row').count()).toBe(1);
    await page.getByTestId('journal-row').first().click();
    await expect.poll(() => page.getByTestId('journal-stdout').textContent()).toContain('results-42');
    await screenshot(page, '05-journal-search');
  });

  it('reloads the page and finds the terminal still attached, screen restored', async () => {
    await page.getByTestId('tab-terminals').click();
    await page.reload();
    await page.getByTestId('terminal').first().waitFor();
    await waitForTerminal(page, /hello/);
    await page.locator('.terminal-pane.active .xterm').click();
    await page.keyboard.type('echo after-reload\n');
    await waitForTerminal(page, /\nafter-reload|after-reload\s*user@/);
    await screenshot(page, '06-terminal-after-reload');
  });

  it('replays the ended terminal session from the journal', async () => {
    await page.keyboard.type('exit\n');
    await page.getByTestId('terminal-exit').waitFor();
    await page.getByTestId('tab-journal').click();
    await page.getByTestId('journal-search').fill('');
    await page.getByTestId('journal-source-exec').uncheck();
    await page.getByTestId('journal-source-lifecycle').uncheck();
    await expect.poll(() => page.getByTestId('journal-row').count()).toBe(1);
    await page.getByTestId('journal-row').first().click();
    await page.getByTestId('journal-player').locator('.ap-player, .ap-wrapper').first().waitFor({ timeout: 15_000 });
    await screenshot(page, '07-journal-recording');
  });

  it('deletes the workspace', async () => {
    await page.goto(`${serve.url}#/`);
    await page.locator('[data-name="e2e-bwrap"]').getByTestId('delete-workspace').click();
    await page.getByTestId('confirm-accept').click();
    await page.getByText('No workspaces yet.').waitFor();
    expect(existsSync(join(project, 'out.txt'))).toBe(true); // the project folder is never touched
  });

  it.skipIf(unavailable('slurm') !== null && process.env.BENCHTOP_REQUIRE_RUNTIMES !== '1')('places a workspace in SLURM from the UI and shows its job', async () => {
    await createWorkspace(page, { name: 'e2e-slurm', backend: 'bwrap', slurm: true });
    await page.getByTestId('tab-overview').click();
    await page.getByTestId('overview').getByText(/RUNNING · node localhost/).waitFor();
    await screenshot(page, '10-slurm-overview');
    await page.goto(`${serve.url}#/`);
    await page.locator('[data-name="e2e-slurm"]').getByTestId('slurm-job').filter({ hasText: /job \d+ · running on localhost/ }).waitFor();
    await screenshot(page, '11-slurm-in-list');
    await page.locator('[data-name="e2e-slurm"]').getByTestId('delete-workspace').click();
    await page.getByTestId('confirm-accept').click();
    await page.getByText('No workspaces yet.').waitFor();
  });

  it.skipIf(unavailable('podman') !== null && process.env.BENCHTOP_REQUIRE_RUNTIMES !== '1')('creates a podman workspace from the UI, echoes in its terminal, and deletes it', async () => {
    await createWorkspace(page, { name: 'e2e-podman', backend: 'podman', image: FIXTURE_IMAGE });
    await page.getByTestId('tab-terminals').click();
    await page.getByTestId('new-terminal').click();
    await page.locator('.terminal-pane.active .xterm').click();
    await page.keyboard.type('echo hello from $(hostname)\n');
    await waitForTerminal(page, /hello from e2e-podman/);
    await page.getByTestId('tab-overview').click();
    await screenshot(page, '08-podman-overview');
    await page.goto(`${serve.url}#/`);
    await screenshot(page, '09-workspaces-list');
    await page.locator('[data-name="e2e-podman"]').getByTestId('delete-workspace').click();
    await page.getByTestId('confirm-accept').click();
    await page.getByText('No workspaces yet.').waitFor();
  });
});
