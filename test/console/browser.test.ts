/**
 * The console end to end, in headless Chromium against a real server running the local
 * workflow: signing in, uploading an image and watching its execution reach Succeeded in the
 * graph, its renditions, approving a flagged image, stopping and redriving, a failed execution,
 * the playground's signed URLs. Screenshots land in test-artifacts/screenshots/.
 */
import { jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import { writeSecret } from '../helpers/app.js';
import { launchBrowser, screenshot, seriousAccessibilityViolations, waitForImages, type Browser } from '../helpers/browser.js';
import { startConsoleServer, type ConsoleServer } from '../helpers/console-server.js';
import { makeImage, samplePhoto } from '../helpers/images.js';

// Generous budgets for a loaded machine: waits end as soon as the page is ready.
jest.setTimeout(240_000);
const WAIT_MS = Number(process.env.E2E_WAIT_MS ?? 90_000);

const TOKEN = 'e2e-console-token-0123456789';

describe('console in a browser', () => {
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;
  const api = (path: string) => `${server.url}${path}`;
  const bearer = { authorization: `Bearer ${TOKEN}` };
  const uploadByApi = async (key: string, body: Buffer) => {
    const response = await page.request.put(api(`/api/uploads/${key}`), { data: body, headers: { ...bearer, 'content-type': 'image/jpeg' } });
    expect(response.status()).toBe(202);
    return (await response.json()) as { executionArn: string };
  };
  const openExecution = (arn: string) => page.goto(`${server.url}/console/#/executions/${encodeURIComponent(arn)}`);
  const stateOutcome = (state: string) => page.locator(`.state[data-state="${state}"]`).getAttribute('data-outcome');

  beforeAll(async () => {
    server = await startConsoleServer({
      CONSOLE_TOKEN: TOKEN,
      ENABLE_SIGNATURE: 'Yes',
      SECRETS_MANAGER: 'signing',
      SECRET_KEY: 'signatureKey',
      MODERATION_REVIEW: 'Yes',
    });
    await writeSecret(server.dataDir, 'signing', { signatureKey: 'e2e-signing-secret' });
    browser = await launchBrowser();
    page = browser.page;
    page.setDefaultTimeout(WAIT_MS);
    page.on('dialog', (dialog) => void dialog.accept());
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(() => {
    // No Content-Security-Policy violation, no uncaught error, on any page.
    expect(browser.errors).toEqual([]);
  });

  test('signing in: a wrong token is refused, the right one opens the console', async () => {
    await page.goto(`${server.url}/console/`);
    await page.getByLabel('Console token (CONSOLE_TOKEN)').fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    await screenshot(page, 'sign-in');
    // The sign-in page, with its error shown, meets WCAG 2.2 AA as every other page does (console-views.test.ts).
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await page.getByLabel('Console token (CONSOLE_TOKEN)').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Executions' }).waitFor();
    const cookies = await browser.context.cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: 'shutter_console', httpOnly: true, sameSite: 'Strict' })]);
    expect(await page.content()).not.toContain(TOKEN);
  });

  test('upload an image, watch its execution reach Succeeded in the graph', async () => {
    await page.goto(`${server.url}/console/#/executions`);
    await page.getByLabel('Folder').fill('e2e');
    await page.getByLabel('Image file').setInputFiles({ name: 'coffee.jpg', mimeType: 'image/jpeg', buffer: samplePhoto('coffee') });
    await page.getByRole('button', { name: 'Upload and process' }).click();
    await page.getByRole('heading', { name: /^e2e-coffee-jpg-[0-9a-f]{32}$/ }).waitFor();
    await page.locator('section.execution[data-status="SUCCEEDED"]').waitFor();
    await page.locator('.state[data-state="Publish"][data-outcome="succeeded"]').waitFor();
    for (const state of ['Inspect', 'Moderate', 'IsFlagged', 'SmartCrop', 'RenderRenditions', 'RenderRendition', 'Publish']) {
      expect({ state, outcome: await stateOutcome(state) }).toEqual({ state, outcome: 'succeeded' });
    }
    for (const state of ['Quarantine', 'QuarantineAndAwaitDecision', 'HandleFailure', 'Failed']) {
      expect({ state, outcome: await stateOutcome(state) }).toEqual({ state, outcome: 'not-run' });
    }
    // A state's input and output, from its history.
    await page.locator('.state[data-state="SmartCrop"]').click();
    await page.locator('[data-selected-state="SmartCrop"]').getByText('"focus"').first().waitFor();
    await page.locator('table.events').getByText('ExecutionSucceeded').waitFor();
    await screenshot(page, 'execution-succeeded');
  });

  test('open its renditions, side by side, with the focal point on the source', async () => {
    await page.getByRole('link', { name: 'uploads/e2e/coffee.jpg' }).click();
    await page.getByRole('heading', { name: 'e2e/coffee.jpg' }).waitFor();
    await waitForImages(page, '.renditions img', { count: 4 });
    expect(await page.locator('.renditions li').evaluateAll((items) => items.map((item) => item.getAttribute('data-rendition')))).toEqual([
      'thumbnail.webp',
      'thumbnail.jpeg',
      'small.avif',
      'small.webp',
    ]);
    await waitForImages(page, '.focal-frame img');
    expect(await page.locator('svg.focal-overlay').getAttribute('data-focal')).toMatch(/^0\.\d{3},0\.\d{3}$/);
    await page.getByText('passed', { exact: true }).waitFor();
    await screenshot(page, 'image-renditions');
  });

  test('approve a flagged image: the waiting workflow resumes and publishes it', async () => {
    const red = await makeImage(480, 320, 'jpeg', '#d01010');
    const { executionArn } = await uploadByApi('e2e/red.jpg', red);
    await openExecution(executionArn);
    await page.locator('.state[data-state="QuarantineAndAwaitDecision"][data-outcome="waiting"]').waitFor();
    await screenshot(page, 'execution-waiting');

    await page.getByRole('link', { name: 'Moderation' }).click();
    const card = page.locator('[data-review="e2e/red.jpg"]');
    await card.waitFor();
    await card.getByText('Graphic Violence').waitFor();
    await waitForImages(page, '[data-review="e2e/red.jpg"] img');
    await screenshot(page, 'moderation-queue');
    await card.getByLabel('Note (optional)').fill('red paint, not blood');
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Approved e2e/red.jpg').waitFor();

    await openExecution(executionArn);
    await page.locator('section.execution[data-status="SUCCEEDED"]').waitFor();
    for (const state of ['Quarantine', 'Rejected']) expect(await stateOutcome(state)).toBe('not-run');
    for (const state of ['QuarantineAndAwaitDecision', 'IsApproved', 'Publish']) expect(await stateOutcome(state)).toBe('succeeded');
    const manifest = await page.request.get(api('/api/buckets/renditions/objects/e2e/red.jpg/manifest.json'), { headers: bearer });
    expect((await manifest.json()) as unknown).toMatchObject({ moderation: { status: 'flagged', decision: { approved: true, by: 'token', note: 'red paint, not blood' } } });
    await screenshot(page, 'execution-approved');
    // Decided: it has left the queue.
    await page.getByRole('link', { name: 'Moderation' }).click();
    await page.getByText('Nothing to review').waitFor();
  });

  test('stop a waiting execution, redrive it, reject it', async () => {
    const { executionArn } = await uploadByApi('e2e/red-2.jpg', await makeImage(300, 300, 'jpeg', '#c00000'));
    await openExecution(executionArn);
    await page.locator('.state[data-state="QuarantineAndAwaitDecision"][data-outcome="waiting"]').waitFor();
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.locator('section.execution[data-status="ABORTED"]').waitFor();
    await page.locator('.state[data-state="QuarantineAndAwaitDecision"][data-outcome="aborted"]').waitFor();
    await page.getByRole('button', { name: 'Redrive' }).click();
    await page.locator('section.execution[data-status="RUNNING"]').waitFor();
    await page.locator('.state[data-state="QuarantineAndAwaitDecision"][data-outcome="waiting"]').waitFor();
    expect(await page.locator('.facts').getByText('Redrives').locator('xpath=..').textContent()).toContain('1');
    // Decided right on the execution page this time: rejected, it stays in quarantine.
    await page.locator('.decision-box').getByRole('button', { name: 'Reject' }).click();
    await page.locator('section.execution[data-status="SUCCEEDED"]').waitFor();
    expect(await stateOutcome('Rejected')).toBe('succeeded');
    expect(await stateOutcome('SmartCrop')).toBe('not-run');
  });

  test('a failed execution shows where and why', async () => {
    const truncated = samplePhoto('rocket').subarray(0, 3000);
    const { executionArn } = await uploadByApi('e2e/truncated.jpg', truncated);
    await openExecution(executionArn);
    await page.locator('section.execution[data-status="FAILED"]').waitFor();
    await page.locator('.state[data-state="Failed"][data-outcome="failed"]').waitFor();
    expect(await stateOutcome('HandleFailure')).toBe('succeeded');
    // The task that failed is shown first, with its error and cause.
    const panel = page.locator('.state-panel');
    expect(await panel.getAttribute('data-selected-state')).not.toBe('Failed');
    await panel.locator('.error-box').waitFor();
    await page.locator('.execution-error').waitFor();
    await screenshot(page, 'execution-failed');
  });

  test('executions list: live, filtered by status and name', async () => {
    await page.goto(`${server.url}/console/#/executions`);
    await page.locator('tr[data-execution^="e2e-truncated-jpg-"]').waitFor();
    expect(await page.locator('tbody tr').count()).toBe(4);
    await screenshot(page, 'executions');
    await page.getByLabel('Status').selectOption('FAILED');
    await page.waitForURL(/status=FAILED/);
    await page.locator('tr[data-execution^="e2e-truncated-jpg-"]').waitFor();
    await page.locator('tr[data-execution^="e2e-coffee-jpg-"]').waitFor({ state: 'detached' });
    expect(await page.locator('tbody tr[data-execution]').count()).toBe(1);
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Name starts with').fill('e2e/red');
    await page.getByLabel('Name starts with').blur();
    await page.waitForURL(/prefix=e2e%2Fred/);
    await page.locator('tr[data-execution^="e2e-red-jpg-"]').waitFor();
    await page.locator('tr[data-execution^="e2e-red-2-jpg-"]').waitFor();
    // The red rows show in the unfiltered list too, shown while the prefix's list is on its way:
    // the truncated image's row leaving says the filtered one arrived.
    await page.locator('tr[data-execution^="e2e-truncated-jpg-"]').waitFor({ state: 'detached' });
    expect(await page.locator('tbody tr[data-execution]').count()).toBe(2);
  });

  test('analytics: the named queries as charts, from the events of the runs above', async () => {
    await page.getByRole('link', { name: 'Analytics' }).click();
    const uploads = page.locator('[data-query="uploads_per_day"]');
    await uploads.locator('canvas').waitFor();
    expect(Number(await uploads.getAttribute('data-rows'))).toBeGreaterThanOrEqual(1);
    await uploads.getByText(/Rows \(\d+\)/).click();
    // The day's row: coffee and the approved red image completed, the truncated one failed.
    const cells = await uploads.locator('tbody tr').first().locator('td').allTextContents();
    expect(cells.slice(1, 4)).toEqual(['3', '2', '1']);
    await page.locator('[data-query="renditions_by_format"] canvas').waitFor();
    await screenshot(page, 'analytics');
  });

  test('playground: controls build the image, and every dialect is signed by the server and served', async () => {
    await page.goto(`${server.url}/console/#/playground?key=chelsea.jpg`);
    await page.getByLabel('Width').fill('320');
    await page.getByLabel('Width').blur();
    await page.getByLabel('Height').fill('200');
    await page.getByLabel('Height').blur();
    await page.getByLabel('Format').selectOption('webp');
    await page.getByLabel('grayscale').check();
    await waitForImages(page, 'img[alt="Transformed image"]', { width: 320, height: 200 });
    await page.locator('.result-facts', { hasText: 'image/webp' }).waitFor();
    // Every row signed for the last control's state: rows signed for an earlier state show first
    // while the next signing is on its way (seen on a CI machine at load 34).
    await page.waitForFunction(`(() => {
      const rows = [...document.querySelectorAll('.url-row')];
      return rows.length === 3 && rows.every((row) => row.dataset.signed === 'true') && rows.slice(1).every((row) => row.querySelector('code.url')?.textContent?.includes('grayscale'));
    })()`);
    const urls = await page.locator('.url-row code.url').allTextContents();
    expect(urls).toHaveLength(3);
    expect(urls[0]).toMatch(/\/[A-Za-z0-9+/=]+\?signature=[0-9a-f]{64}$/);
    expect(urls[1]).toMatch(/\/320x200\/filters:format\(webp\):grayscale\(\)\/chelsea\.jpg\?signature=[0-9a-f]{64}$/);
    expect(urls[2]).toMatch(/\/chelsea\.jpg\?width=320&height=200&fit=cover&format=webp&grayscale=true&signature=[0-9a-f]{64}$/);
    // Each signed URL is served; the same path unsigned is refused.
    for (const url of urls) {
      const response = await page.request.get(url);
      expect({ url, status: response.status(), type: response.headers()['content-type'] }).toEqual({ url, status: 200, type: 'image/webp' });
    }
    expect((await page.request.get(urls[1]!.replace(/\?signature=.*/, ''))).status()).toBe(400);
    expect(await page.content()).not.toContain('e2e-signing-secret');
    await screenshot(page, 'playground');
  });

  test('images: every bucket as previews', async () => {
    await page.goto(`${server.url}/console/#/images?bucket=images`);
    await waitForImages(page, '.image-grid img', { count: 4 });
    await screenshot(page, 'images');
  });
});
