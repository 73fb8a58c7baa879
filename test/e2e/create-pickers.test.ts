/**
 * The create form's pickers, in real Chromium against the real browser host:
 * the images podman has (size, age) chosen from a list; an image pulled from
 * an `oci-archive` made by `podman save`, its progress shown, then used to
 * create a running podman workspace; a pull that fails says what failed; a
 * rootfs folder an earlier workspace used is offered to bwrap; the project
 * folder picked by browsing the host (never the data folder), the name
 * following the folder; SLURM's partitions offered from sinfo.
 * Screenshots land in test-artifacts/screenshots.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { BenchtopClient } from '../../src-preload/client';
import { cleanup, tempDir } from '../helpers/cli';
import { axeViolations } from '../helpers/axe';
import { launchBrowser, screenshot } from '../helpers/browser';
import { FIXTURE_IMAGE, FIXTURE_ROOTFS } from '../helpers/fixtures';
import { describeWith } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';

const podman = (...args: string[]): string => execFileSync('podman', args, { encoding: 'utf8', timeout: 120_000 });

describeWith('podman', 'image and folder pickers in the create dialog', () => {
  let home: string;
  let work: string;
  let serve: ServeProcess;
  let context: BrowserContext;
  let page: Page;
  let client: BenchtopClient;
  /** A name only this test gives an image: saved to an archive, then removed from the store. */
  const pulledName = `localhost/benchtop-pull-e2e-${process.pid}:1`;
  let archive: string;
  const made: string[] = [];

  const openDialog = async (backend: string): Promise<void> => {
    await page.getByTestId('new-workspace').click();
    await page.getByTestId(`backend-${backend}`).click();
  };
  const closeDialog = async (): Promise<void> => {
    await page.getByTestId('create-cancel').click();
    await page.getByTestId('create-dialog').waitFor({ state: 'detached' });
  };

  beforeAll(async () => {
    home = tempDir('home');
    work = tempDir('pick');
    archive = join(work, 'image.oci.tar');
    podman('tag', FIXTURE_IMAGE, pulledName);
    podman('save', '--format', 'oci-archive', '-o', archive, pulledName);
    podman('rmi', pulledName);
    serve = await startServe(home);
    ({ client } = await serve.connect());
    ({ context, page } = await launchBrowser());
    await page.setViewportSize({ width: 1280, height: 720 });
    page.on('dialog', (d) => void d.dismiss());
    await page.goto(serve.url);
    await page.getByTestId('new-workspace').waitFor();
  });
  afterAll(async () => {
    await context?.close();
    for (const id of made) await client?.call('workspaces.remove', { workspace: id }).catch(() => undefined);
    await serve?.stop();
    try {
      podman('rmi', '--force', pulledName);
    } catch {
      // Not pulled (a failed run).
    }
    cleanup(home, work);
  });

  // Each test starts from the list, whatever the one before left open.
  beforeEach(async () => {
    await page.goto(`${serve.url}#/`);
    await page.reload();
    await page.getByTestId('new-workspace').waitFor();
  });

  it('lists podman’s images with size and age, and a click chooses one', async () => {
    await openDialog('podman');
    const choice = page.getByTestId('image-choice').filter({ hasText: FIXTURE_IMAGE });
    await choice.waitFor();
    // The fixture is ~2 MiB, built by this run's fixtures script.
    await expect.poll(() => choice.textContent()).toMatch(/\d(\.\d)? MiB · built \d+[smhd].* ago · local image/);
    await choice.click();
    expect(await page.getByTestId('ws-image').inputValue()).toBe(FIXTURE_IMAGE);
    // The archive's image is not in the store yet.
    expect(await page.getByTestId('image-choice').filter({ hasText: pulledName }).count()).toBe(0);
    await screenshot(page, 'create-image-list');
    await closeDialog();
  });

  it('a pull that fails says what failed, in one line', async () => {
    await openDialog('podman');
    await page.getByTestId('pull-ref').fill(`oci-archive:${join(work, 'missing.tar')}`);
    await page.getByTestId('pull-button').click();
    await expect.poll(() => page.getByTestId('pull-error').textContent()).toBe(`image: ${join(work, 'missing.tar')} does not exist`);
    const garbage = join(work, 'garbage.tar');
    writeFileSync(garbage, 'not a tar archive\n');
    await page.getByTestId('pull-ref').fill(`oci-archive:${garbage}`);
    await page.getByTestId('pull-ref').press('Enter'); // pulls; does not submit the form
    await expect.poll(() => page.getByTestId('pull-error').textContent()).toMatch(new RegExp(`^could not pull oci-archive:${garbage}: .+`));
    expect(await page.getByTestId('create-dialog').isVisible()).toBe(true);
    expect((await client.call('workspaces.list', {})).length).toBe(0);
    await page.getByTestId('pull-ref').fill('-x');
    await page.getByTestId('pull-button').click();
    await expect.poll(() => page.getByTestId('pull-error').textContent()).toMatch(/ref.*must not start with "-"/);
    await closeDialog();
  });

  it('pulls an oci-archive with progress, chooses it, and a workspace runs on it', async () => {
    await openDialog('podman');
    await page.getByTestId('ws-name').fill('e2e-pulled');
    await page.getByTestId('pull-ref').fill(`oci-archive:${archive}`);
    await Promise.all([page.getByTestId('pull-progress').waitFor({ timeout: 5000 }), page.getByTestId('pull-button').click()]);
    await page.getByTestId('pull-done').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('pull-done').textContent()).toContain(pulledName);
    // podman's own progress lines reached the form as they came.
    const log = await page.getByTestId('pull-log').textContent();
    expect(log).toMatch(/Copying blob sha256:/);
    expect(log).toMatch(/Writing manifest/);
    expect(await page.getByTestId('ws-image').inputValue()).toBe(pulledName);
    await page.getByTestId('image-choice').filter({ hasText: pulledName }).waitFor();
    await page.getByTestId('pull-log').evaluate((el) => ((el.parentElement as HTMLDetailsElement).open = true));
    await screenshot(page, 'create-image-pulled');
    expect(await axeViolations(page)).toEqual([]);
    podman('image', 'exists', pulledName);
    await page.getByTestId('create-submit').click();
    await page.getByTestId('workspace-title').filter({ hasText: 'e2e-pulled' }).waitFor({ timeout: 60_000 });
    const ws = (await client.call('workspaces.list', {})).find((w) => w.name === 'e2e-pulled');
    expect(ws?.image).toBe(pulledName);
    made.push(ws!.id);
    await expect.poll(async () => (await client.call('workspaces.get', { workspace: ws!.id })).state, { timeout: 30_000 }).toBe('running');
    const r = await client.call('exec.run', { workspace: ws!.id, argv: ['echo', 'runs-on-pulled'] });
    expect([r.exitCode, r.stdout]).toEqual([0, 'runs-on-pulled\n']);
  });

  it('offers to bwrap the rootfs folder an earlier workspace used', async () => {
    const earlier = await client.call('workspaces.create', { name: 'e2e-rootfs-user', backend: 'bwrap', image: FIXTURE_ROOTFS, start: false });
    made.push(earlier.id);
    await openDialog('bwrap');
    const choice = page.getByTestId('image-choice').filter({ hasText: FIXTURE_ROOTFS });
    await choice.waitFor();
    expect(await choice.textContent()).toMatch(/used \d+s ago · folder used before/);
    // Arrow keys move in the radio group; the field follows.
    await choice.locator('input').focus();
    await page.keyboard.press('Space');
    expect(await page.getByTestId('ws-image').inputValue()).toBe(FIXTURE_ROOTFS);
    await closeDialog();
  });

  it('picks the project folder by browsing (never into the data folder); the name follows the folder', async () => {
    const project = join(work, 'My Data 2');
    mkdirSync(join(project, 'inner'), { recursive: true });
    await openDialog('bwrap');
    expect(await page.getByTestId('ws-name').inputValue()).toMatch(/^analysis-\d+$/);
    await page.getByTestId('project-browse').click();
    const browser = page.getByTestId('folder-browser');
    await browser.waitFor();
    // It opens at the home folder; without typing: up to /, then down folder by folder.
    const shown = () => page.getByTestId('folder-list').getAttribute('aria-label');
    await expect.poll(shown).toBe(`Folders in ${homedir()}`);
    while (await page.getByTestId('folder-up').isEnabled()) {
      const before = await shown();
      await page.getByTestId('folder-up').click();
      await expect.poll(shown).not.toBe(before);
    }
    expect(await shown()).toBe('Folders in /');
    let at = '';
    for (const part of project.split('/').filter(Boolean)) {
      at += `/${part}`;
      await page.getByTestId('folder-entry').filter({ hasText: new RegExp(`^${part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/$`) }).click();
      await expect.poll(shown).toBe(`Folders in ${at}`);
    }
    await page.getByTestId('folder-entry').filter({ hasText: 'inner' }).waitFor();
    await screenshot(page, 'create-folder-browser');
    expect(await axeViolations(page)).toEqual([]);
    await page.getByTestId('folder-choose').click();
    await browser.waitFor({ state: 'detached' });
    expect(await page.getByTestId('ws-project').inputValue()).toBe(project);
    expect(await page.getByTestId('ws-name').inputValue()).toBe('my-data-2');
    // The create dialog is still open and keeps its focus trap (the browser closed alone).
    expect(await page.getByTestId('create-dialog').isVisible()).toBe(true);

    // The data folder is neither listed in its parent nor browsable.
    await page.getByTestId('project-browse').click();
    await page.getByTestId('folder-path').fill(dirname(home));
    await page.getByTestId('folder-path').press('Enter');
    await expect.poll(() => page.getByTestId('folder-list').getAttribute('aria-label')).toBe(`Folders in ${dirname(home)}`);
    expect(await page.getByTestId('folder-entry').filter({ hasText: new RegExp(`^\\W*${basename(home)}$`) }).count()).toBe(0);
    await page.getByTestId('folder-path').fill(join(home, 'workspaces'));
    await page.getByTestId('folder-path').press('Enter');
    await expect.poll(() => page.getByTestId('folder-error').textContent()).toMatch(/inside Benchtop's data folder, which cannot be browsed/);
    // Escape closes the browser alone.
    await page.keyboard.press('Escape');
    await browser.waitFor({ state: 'detached' });
    expect(await page.getByTestId('create-dialog').isVisible()).toBe(true);
    await closeDialog();
  });
});

describeWith('slurm', 'SLURM partitions in the create dialog', () => {
  let home: string;
  let serve: ServeProcess;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    home = tempDir('home');
    serve = await startServe(home);
    ({ context, page } = await launchBrowser());
    await page.goto(serve.url);
  });
  afterAll(async () => {
    await context?.close();
    await serve?.stop();
    cleanup(home);
  });

  it('offers the partitions sinfo lists, the default as placeholder; free text still allowed', async () => {
    const names = execFileSync('sinfo', ['--noheader', '--format=%P'], { encoding: 'utf8' })
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    const def = names.find((n) => n.endsWith('*'))?.slice(0, -1);
    await page.getByTestId('new-workspace').click();
    await page.getByTestId('backend-bwrap').click();
    await page.getByTestId('ws-slurm').check();
    await expect.poll(() => page.locator('#slurm-partitions option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(names.map((n) => n.replace(/\*$/, '')));
    if (def) expect(await page.getByTestId('slurm-partition').getAttribute('placeholder')).toBe(def);
    await page.getByTestId('slurm-partition').fill('anything-typed');
    expect(await page.getByTestId('slurm-partition').inputValue()).toBe('anything-typed');
    expect(await page.getByLabel('CPUs per task (allocation)').count()).toBe(1);
    expect(await page.getByLabel('CPU limit').count()).toBe(1);
  });
});
