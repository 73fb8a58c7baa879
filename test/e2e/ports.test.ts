/**
 * Published ports on a workspace's page, in real Chromium against the real
 * browser host and a real podman workspace (network none): the list with
 * Open (the page it opens is served from inside the workspace), adding one
 * from the form, removing it, and a bad port as one line. Screenshots at
 * 1280×720 in test-artifacts/screenshots.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BenchtopClient } from '../../src-preload/client';
import { cleanup, tempDir } from '../helpers/cli';
import { axeViolations } from '../helpers/axe';
import { launchBrowser, screenshot } from '../helpers/browser';
import { FIXTURE_IMAGE } from '../helpers/fixtures';
import { describeWith } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';

describeWith('podman', 'published ports in the browser (podman)', () => {
  describeWith('chromium', 'the ports panel', () => {
    let home: string;
    let project: string;
    let serve: ServeProcess;
    let context: BrowserContext;
    let page: Page;
    let client: BenchtopClient;
    let wsId: string;
    let hostPort: number;

    beforeAll(async () => {
      home = tempDir('home');
      project = tempDir('proj');
      writeFileSync(join(project, 'index.html'), '<h1>Served from inside e2e-ports</h1>');
      serve = await startServe(home);
      ({ client } = await serve.connect());
      const ws = await client.call('workspaces.create', { name: 'e2e-ports', backend: 'podman', image: FIXTURE_IMAGE, project, ports: [{ port: 8080 }] });
      wsId = ws.id;
      hostPort = ws.ports[0]?.hostPort as number;
      // busybox httpd daemonizes; two servers inside, on 8080 and 8081.
      for (const port of ['8080', '8081']) await client.call('exec.run', { workspace: wsId, argv: ['httpd', '-p', port, '-h', '/workspace'] });
      ({ context, page } = await launchBrowser());
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(`${serve.url}#/w/${wsId}/overview`);
      await page.getByTestId('workspace-title').filter({ hasText: 'e2e-ports' }).waitFor();
    });
    afterAll(async () => {
      await context?.close();
      if (wsId) await client?.call('workspaces.remove', { workspace: wsId }).catch(() => undefined);
      await serve?.stop();
      cleanup(home, project);
    });

    it('lists the published port, and Open shows the page served inside', async () => {
      const row = page.getByTestId('port-8080');
      await row.getByText('listening').waitFor({ timeout: 15_000 });
      expect(await row.locator('td').first().textContent()).toBe(`127.0.0.1:${hostPort}`);
      const [opened] = await Promise.all([context.waitForEvent('page'), row.getByRole('button', { name: `Open http://127.0.0.1:${hostPort}/` }).click()]);
      await opened.waitForLoadState();
      expect(opened.url()).toBe(`http://127.0.0.1:${hostPort}/`);
      expect(await opened.locator('h1').textContent()).toBe('Served from inside e2e-ports');
      await opened.close();
    });

    it('publishes one more from the form and removes it', async () => {
      await page.getByLabel(/Publish a port/).fill('8081');
      await page.getByRole('button', { name: 'Publish' }).click();
      const row = page.getByTestId('port-8081');
      await row.getByText('listening').waitFor({ timeout: 15_000 });
      const added = (await client.call('ports.list', { workspace: wsId })).find((p) => p.port === 8081);
      expect(added?.listening).toBe(true);
      const served = await fetch(added?.url ?? '');
      expect(await served.text()).toBe('<h1>Served from inside e2e-ports</h1>');
      await page.getByTestId('port-spec').focus();
      await screenshot(page, '70-ports-panel');
      expect(await axeViolations(page)).toEqual([]);
      await row.getByRole('button', { name: 'Remove port 8081' }).click();
      await row.waitFor({ state: 'detached', timeout: 15_000 });
      expect((await client.call('ports.list', { workspace: wsId })).map((p) => p.port)).toEqual([8080]);
    });

    it('says what is wrong with a bad port in one line', async () => {
      await page.getByLabel(/Publish a port/).fill('70000');
      await page.getByRole('button', { name: 'Publish' }).click();
      expect(await page.getByTestId('ports-error').textContent()).toBe('port 70000 is out of range (1-65535)');
      await page.getByLabel(/Publish a port/).fill('8080');
      await page.getByRole('button', { name: 'Publish' }).click();
      await expect.poll(() => page.getByTestId('ports-error').textContent()).toMatch(/^ports: port 8080 is published twice/);
      await page.getByTestId('ports-error').scrollIntoViewIfNeeded();
      await screenshot(page, '71-ports-error');
    });
  });
});
