/**
 * A QEMU microVM workspace as a researcher uses it, in real Chromium against
 * the real browser host: the create dialog offers the VM image built with
 * `benchtop image build` and boots a workspace from it; a terminal opened
 * with "+ Terminal" runs in the guest (arithmetic, its size follows the pane,
 * it is marked ended when the shell exits); the Console tab shows the guest's
 * serial console and follows it while shown, and only machines have one;
 * the command bar runs in the guest's own kernel. One VM for the whole file
 * (TCG boots are slow and one at a time on this machine): the TCG lock is held
 * from before the create until after the rm.
 * Screenshots land in test-artifacts/screenshots (or BENCHTOP_SCREENSHOTS).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BenchtopClient } from '../../src-preload/client';
import type { VmImage } from '../../src-preload/contract';
import { paths } from '../../src-main/core/store/layout';
import { vmFiles } from '../../src-main/core/vm/files';
import { axeViolations } from '../helpers/axe';
import { cleanup, cliJson, tempDir } from '../helpers/cli';
import { launchBrowser, screenshot, terminalScreen, waitForTerminal } from '../helpers/browser';
import { FIXTURE_ROOTFS } from '../helpers/fixtures';
import { describeWith } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';
import { acquireTcgLock } from '../helpers/tcg-lock';
import { vmKernel } from '../helpers/vm-kernel';

describeWith('qemu', 'a QEMU microVM workspace (TCG)', () => {
  describeWith('chromium', 'in a real browser', () => {
    const kernel = vmKernel();
    let home: string;
    let project: string;
    let serve: ServeProcess;
    let context: BrowserContext;
    let page: Page;
    let client: BenchtopClient;
    let image: VmImage;
    let releaseTcg: (() => Promise<void>) | undefined;
    let vmId: string | undefined;
    let plainId: string | undefined;

    const commandOutput = (): Locator => page.getByTestId('command-output');
    const runCommand = async (command: string): Promise<void> => {
      await page.getByTestId('command-input').fill(command);
      await page.getByTestId('command-run').click();
      await page.getByTestId('command-exit').filter({ hasText: /exit \d+/ }).waitFor({ timeout: 30_000 });
    };

    beforeAll(async () => {
      home = tempDir('home');
      project = tempDir('proj');
      image = await cliJson<VmImage>(['image', 'build', 'vm1', '--from', FIXTURE_ROOTFS, ...kernel.args], { home, timeoutMs: 300_000 });
      serve = await startServe(home);
      ({ client } = await serve.connect());
      // A workspace without a machine, to see that it has no Console tab.
      plainId = (await client.call('workspaces.create', { name: 'e2e-plain', backend: 'bwrap' })).id;
      ({ context, page } = await launchBrowser());
      page.on('dialog', (d) => void d.accept());
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(serve.url);
      await page.getByTestId('new-workspace').waitFor();
      const waited = performance.now();
      releaseTcg = await acquireTcgLock();
      console.log(`waited ${Math.round(performance.now() - waited)} ms for the TCG lock`);
    }, 660_000);
    afterAll(async () => {
      await context?.close();
      // Removing the workspace powers the VM off; only then may another guest boot.
      for (const id of [vmId, plainId]) if (id) await client?.call('workspaces.remove', { workspace: id }).catch(() => undefined);
      await releaseTcg?.();
      await serve?.stop();
      cleanup(home, project);
    }, 120_000);

    it('offers the VM image in the create dialog, and boots a workspace from it', async () => {
      expect(image).toMatchObject({ name: 'vm1', version: 1, kernelRelease: kernel.release });
      await page.getByTestId('new-workspace').click();
      await page.getByTestId('backend-qemu').click();
      const choice = page.getByTestId('image-choice').filter({ hasText: 'vm1@1' });
      await choice.waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('image-choice').locator('.image-ref').allTextContents()).toEqual(['vm1@1']);
      await choice.click();
      expect(await page.getByTestId('ws-image').inputValue()).toBe('vm1@1');
      await page.getByTestId('ws-name').fill('e2e-vm');
      await page.getByTestId('ws-project').fill(project);
      // A VM always has a size: the fields say what it gets when left empty, not "no limit".
      expect(await page.getByLabel('vCPUs').getAttribute('placeholder')).toBe('1 (default)');
      expect(await page.getByLabel('Memory (MiB)').getAttribute('placeholder')).toBe('512 (default)');
      await page.getByLabel('Memory (MiB)').fill('384');
      await screenshot(page, 'vm-create-dialog');
      const started = performance.now();
      await page.getByTestId('create-submit').click();
      await page.getByTestId('workspace-title').filter({ hasText: 'e2e-vm' }).waitFor({ timeout: 120_000 });
      const ws = (await client.call('workspaces.list', {})).find((w) => w.name === 'e2e-vm');
      vmId = ws?.id;
      expect(ws).toMatchObject({ backend: 'qemu', image: 'vm1@1', project, limits: { memoryMiB: 384 } });
      await expect.poll(async () => (await client.call('workspaces.get', { workspace: vmId as string })).state, { timeout: 120_000 }).toBe('running');
      // The bar takes commands once the workspace runs.
      await page.locator('[data-testid="command-input"]:enabled').waitFor({ timeout: 30_000 });
      console.log(`create from the dialog to running: ${Math.round(performance.now() - started)} ms`);
    }, 300_000);

    it('runs the command bar in the guest, on its own kernel, at the size asked for', async () => {
      await runCommand('uname -r');
      expect(await page.getByTestId('command-exit').textContent()).toMatch(/^#\d+ exit 0$/);
      expect(await commandOutput().textContent()).toBe(`${kernel.release}\n`);
      // The size the dialog gave (384 MiB) and the default vCPU reached QEMU.
      await runCommand("nproc; awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo");
      const [cpus, memMiB] = ((await commandOutput().textContent()) ?? '').trim().split('\n').map(Number);
      expect(cpus).toBe(1);
      expect(memMiB).toBeGreaterThan(256);
      expect(memMiB).toBeLessThanOrEqual(384);
    });

    it('opens a terminal in the guest: it computes, follows the pane’s size, and is marked ended when the shell exits', async () => {
      await page.getByTestId('tab-terminals').click();
      await page.getByTestId('new-terminal').click();
      await page.locator('.terminal-pane.active .xterm').click();
      await waitForTerminal(page, /[$#] $/m, 30_000);
      await page.keyboard.type('echo $((6*7))\n');
      await waitForTerminal(page, /^42$/m);
      let asked = 0;
      /** The pane's size, checked against what the guest's tty says it is. */
      const sizeShown = async (): Promise<{ rows: number; cols: number }> => {
        const { rows, cols } = await terminalScreen(page);
        const label = `size-${++asked}`;
        await page.keyboard.type(`echo ${label} $(stty size)\n`);
        const found = new RegExp(`^${label} (\\d+) (\\d+)$`, 'm');
        const [r, c] = (found.exec(await waitForTerminal(page, found)) as RegExpExecArray).slice(1).map(Number);
        expect({ rows: r, cols: c }).toEqual({ rows, cols });
        return { rows, cols };
      };
      const big = await sizeShown();
      expect(big.rows).toBeGreaterThan(20);
      await page.keyboard.type('uname -n; cat /proc/1/comm\n');
      await screenshot(page, 'vm-terminal');
      // A smaller window: the guest's tty follows the pane.
      await page.setViewportSize({ width: 900, height: 600 });
      await expect.poll(async () => (await terminalScreen(page)).rows, { timeout: 10_000 }).toBeLessThan(big.rows);
      const small = await sizeShown();
      expect(small.cols).toBeLessThan(big.cols);
      await page.setViewportSize({ width: 1280, height: 800 });

      await page.keyboard.type('exit\n');
      await page.getByTestId('terminal-exit').filter({ hasText: 'Shell exited with code 0' }).waitFor({ timeout: 20_000 });
      const tab = page.getByTestId('terminal-tab');
      expect(await tab.textContent()).toContain('(exit 0)');
      // An ended shell's tab closes without asking.
      await tab.getByTestId('close-terminal').click();
      await expect.poll(() => tab.count()).toBe(0);
    });

    it('shows the guest’s serial console in the Console tab, and follows it while shown', async () => {
      await page.getByTestId('tab-console').click();
      await page.getByTestId('console-tab').waitFor();
      const log = vmFiles(join(paths.workspaceDir(home, vmId as string), 'vm')).console;
      // A healthy boot is quiet (quiet loglevel=3): the tab says so rather than showing a blank page.
      if (readFileSync(log, 'utf8') === '') {
        await page.getByTestId('console-empty').waitFor({ timeout: 10_000 });
        await screenshot(page, 'vm-console-empty');
      }
      // A kernel message at KERN_CRIT gets past loglevel=3 onto ttyS0, as a real error would.
      const marker = `benchtop-e2e: console marker ${process.pid}`;
      await runCommand(`echo '<2>${marker}' > /dev/kmsg`);
      expect(await page.getByTestId('command-exit').textContent()).toMatch(/exit 0$/);
      await expect.poll(() => readFileSync(log, 'utf8'), { timeout: 10_000 }).toContain(marker);
      // The tab shows it without being reopened: it reads the console while shown.
      await expect.poll(() => page.getByTestId('console-text').textContent(), { timeout: 10_000 }).toMatch(new RegExp(`\\[\\s*\\d+\\.\\d+\\] ${marker}`));
      await screenshot(page, 'vm-console');
      expect(await axeViolations(page)).toEqual([]);
    });

    it('gives a workspace without a machine no Console tab', async () => {
      expect(await page.getByTestId('tab-console').count()).toBe(1);
      await page.goto(`${serve.url.replace(/#.*$/, '')}#/w/${plainId}/overview`);
      await page.getByTestId('workspace-title').filter({ hasText: 'e2e-plain' }).waitFor();
      await expect.poll(() => page.getByTestId('tab-files').count()).toBe(1);
      expect(await page.getByTestId('tab-console').count()).toBe(0);
    });
  });
});
