/**
 * The console's execution views and its accessibility, in headless Chromium against a real
 * server: the graph by keyboard, zoom/pan/fit, the table and definition views, the JSON export,
 * labelled durations, honest outcomes (Quarantined), the API page; axe-core (WCAG 2.2 AA) finds
 * no serious or critical violation on any page, and no page is wider than a 360 px phone.
 * Screenshots of each view land in test-artifacts/screenshots/.
 */
import { jest } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { launchBrowser, screenshot, seriousAccessibilityViolations, waitForImages, type Browser } from '../helpers/browser.js';
import { startConsoleServer, type ConsoleServer } from '../helpers/console-server.js';
import { makeImage, samplePhoto } from '../helpers/images.js';

jest.setTimeout(240_000);
const WAIT_MS = Number(process.env.E2E_WAIT_MS ?? 90_000);

describe('console views', () => {
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;
  let photo: { executionArn: string; name: string };
  let flagged: { executionArn: string; name: string };

  const upload = async (key: string, body: Buffer) => {
    const response = await fetch(`${server.url}/api/uploads/${key}`, { method: 'PUT', body, headers: { 'content-type': 'image/jpeg' } });
    expect(response.status).toBe(202);
    return (await response.json()) as { executionArn: string; name: string };
  };
  const finished = async (arn: string) => {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const { status } = (await (await fetch(`${server.url}/api/executions/${encodeURIComponent(arn)}`)).json()) as { status: string };
      if (status !== 'RUNNING' && status !== 'QUEUED') return status;
      if (Date.now() > deadline) throw new Error(`${arn} still ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const open = async (hash: string, ready: string) => {
    await page.goto(`${server.url}/console/#/${hash}`);
    await page.locator(ready).first().waitFor();
  };
  const expectAccessible = async (name: string) => expect({ page: name, violations: await seriousAccessibilityViolations(page) }).toEqual({ page: name, violations: [] });

  beforeAll(async () => {
    server = await startConsoleServer({ MODERATION_REVIEW: 'No' });
    browser = await launchBrowser();
    page = browser.page;
    page.setDefaultTimeout(WAIT_MS);
    photo = await upload('views/coffee.jpg', samplePhoto('coffee'));
    flagged = await upload('views/red.jpg', await makeImage(320, 240, 'jpeg', '#d01010'));
    expect(await finished(photo.executionArn)).toBe('SUCCEEDED');
    expect(await finished(flagged.executionArn)).toBe('SUCCEEDED');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(() => {
    expect(browser.errors).toEqual([]);
  });

  const executionPage = (execution: { executionArn: string }) => `executions/${encodeURIComponent(execution.executionArn)}`;

  test('graph: states are reachable by keyboard, arrow keys move between them, Enter inspects', async () => {
    await open(executionPage(photo), '.state[data-state="Inspect"]');
    const inspect = page.locator('.state[data-state="Inspect"]');
    expect(await inspect.getAttribute('tabindex')).toBe('0');
    await inspect.focus();
    expect(await page.evaluate('document.activeElement?.getAttribute("data-state")')).toBe('Inspect');
    await page.keyboard.press('ArrowDown');
    const next = (await page.evaluate('document.activeElement?.getAttribute("data-state")')) as string;
    expect(next).toBeTruthy();
    expect(next).not.toBe('Inspect');
    await page.keyboard.press('Enter');
    await page.locator(`[data-selected-state="${next}"]`).waitFor();
    await screenshot(page, 'execution-graph-keyboard');
  });

  test('graph: zoom in, out, drag to pan, fit', async () => {
    await open(executionPage(photo), '.state[data-state="Inspect"]');
    const viewport = page.locator('.state-graph g.viewport');
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await page.locator('[data-zoom="1.56"]').waitFor();
    expect(await viewport.getAttribute('transform')).toMatch(/scale\(1\.5625\)/);
    const before = await viewport.getAttribute('transform');
    const box = (await page.locator('.state-graph svg').boundingBox())!;
    await page.mouse.move(box.x + 8, box.y + 8);
    await page.mouse.down();
    await page.mouse.move(box.x + 108, box.y + 58, { steps: 5 });
    await page.mouse.up();
    expect(await viewport.getAttribute('transform')).not.toBe(before);
    await screenshot(page, 'execution-graph-zoomed');
    await page.getByRole('button', { name: 'Zoom out' }).click();
    await page.locator('[data-zoom="1.25"]').waitFor();
    await page.getByRole('button', { name: 'Fit' }).click();
    await page.locator('[data-zoom="1.00"]').waitFor();
    expect(await viewport.getAttribute('transform')).toBe('translate(0 0) scale(1)');
  });

  test('durations: queued, running and total, each labelled, running + queued = total', async () => {
    await open(executionPage(photo), '[data-duration="total"]');
    for (const label of ['Queued', 'Running', 'Total']) await page.locator('.facts dt', { hasText: new RegExp(`^${label}$`) }).waitFor();
    const ms = async (which: string) => {
      const text = (await page.locator(`[data-duration="${which}"]`).textContent())!;
      const match = /^([\d.]+) (ms|s)$/.exec(text);
      expect(match).not.toBeNull();
      return Number(match![1]) * (match![2] === 's' ? 1000 : 1);
    };
    const [queued, running, total] = [await ms('queued'), await ms('running'), await ms('total')];
    expect(running).toBeGreaterThan(0);
    // Each is rounded for display (to 1 ms, or 0.1 s): the sum agrees within that.
    expect(Math.abs(queued + running - total)).toBeLessThanOrEqual(total >= 1000 ? 150 : 2);
  });

  test('table and definition views, and the JSON export', async () => {
    await open(executionPage(photo), '.state[data-state="Inspect"]');
    await page.getByRole('tab', { name: 'Table' }).click();
    const row = page.locator('tr[data-state-row="Publish"]');
    await row.waitFor();
    expect(await row.locator('.outcome-pill').textContent()).toBe('Succeeded');
    expect(Number(await row.locator('[data-duration-ms]').getAttribute('data-duration-ms'))).toBeGreaterThanOrEqual(0);
    expect(await page.locator('tr[data-state-row="Rejected"] .outcome-pill').textContent()).toBe('Not run');
    await row.getByRole('button', { name: 'Publish' }).click();
    await page.locator('[data-selected-state="Publish"]').waitFor();
    await screenshot(page, 'execution-table');
    await expectAccessible('execution table');

    await page.getByRole('tab', { name: 'Definition' }).click();
    await page.locator('#execution-view pre.json', { hasText: '"StartAt"' }).waitFor();
    await screenshot(page, 'execution-definition');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
    expect(download.suggestedFilename()).toBe(`${photo.name}.json`);
    const exported = JSON.parse(await readFile((await download.path())!, 'utf8')) as { execution: { name: string; status: string; history: unknown[] }; definition: { StartAt: string } };
    expect(exported.execution).toMatchObject({ name: photo.name, status: 'SUCCEEDED' });
    expect(exported.execution.history.length).toBeGreaterThan(10);
    expect(exported.definition.StartAt).toBe('Inspect');
  });

  test('a flagged image that ended in quarantine says Quarantined, not only Succeeded', async () => {
    await open(executionPage(flagged), '.state[data-state="Quarantined"]');
    await page.locator('[data-ending="Quarantined"]').waitFor();
    expect(await page.locator('.facts [data-status="SUCCEEDED"]').count()).toBe(1);
    await screenshot(page, 'execution-quarantined');
  });

  test("a backfill's page lists the image executions under its prefix", async () => {
    const response = await fetch(`${server.url}/api/backfills`, { method: 'POST', body: JSON.stringify({ prefix: 'views/' }), headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(202);
    const backfill = (await response.json()) as { executionArn: string };
    expect(await finished(backfill.executionArn)).toBe('SUCCEEDED');
    await open(executionPage(backfill), '.backfill-children[data-children="2"]');
    for (const child of [photo, flagged]) await page.locator(`[data-child="${child.name}"]`).waitFor();
    await page.locator(`[data-child="${photo.name}"] a`).click();
    await page.locator(`section.execution h1`, { hasText: photo.name }).waitFor();
    await page.goBack();
    await page.locator('.backfill-children[data-children="2"]').waitFor();
    await screenshot(page, 'execution-backfill');
    await expectAccessible('backfill');
  });

  test('the API page renders the OpenAPI document', async () => {
    await open('api', '[data-operation="GET /api/executions"]');
    await page.locator('[data-operation="GET /api/executions"] summary').click();
    await page.locator('[data-operation="GET /api/executions"] code', { hasText: 'QUEUED | RUNNING' }).waitFor();
    await screenshot(page, 'api-reference');
    await expectAccessible('api');
  });

  const PAGES: Array<[string, string, string]> = [
    ['executions', 'executions', 'table.executions tbody tr'],
    ['execution', '', '.state[data-state="Inspect"]'],
    ['images', 'images', '.image-grid img'],
    ['image', 'images/images/coffee.jpg', '.focal-frame img'],
    // Not 'h1': the page before it has one too, so the check could run on that page. No review waits here (MODERATION_REVIEW=No).
    ['moderation', 'moderation', 'p.muted:has-text("Nothing to review")'],
    ['analytics', 'analytics', '.chart-card'],
    ['playground', 'playground', '.url-row'],
    ['api', 'api', '.operation'],
    ['delivery', 'delivery?kind=policies', '.delivery-layout'],
  ];

  test('axe-core: no serious or critical WCAG 2.2 AA violation on any page', async () => {
    for (const [name, hash, ready] of PAGES) {
      await open(hash || executionPage(photo), ready);
      if (name === 'images' || name === 'image') await waitForImages(page, ready);
      await expectAccessible(name);
    }
  });

  test('every page fits a 360 px phone', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    try {
      for (const [name, hash, ready] of PAGES) {
        await open(hash || executionPage(photo), ready);
        const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
        expect({ page: name, width }).toEqual({ page: name, width: 360 });
        if (name === 'executions' || name === 'execution') await screenshot(page, `phone-${name}`);
      }
    } finally {
      await page.setViewportSize({ width: 1360, height: 900 });
    }
  });
});
