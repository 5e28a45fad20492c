/**
 * The console's delivery pages end to end (issue #16), in headless Chromium against a real
 * server: origins, policies and mappings created, refused (the client's checks and the server's
 * `Settings::Invalid`), edited by two operators at once (412), a policy previewed; an upload's
 * renditions by their public URLs with a `<picture>` snippet that a browser loads; "Open in
 * playground" for an upload. Screenshots land in test-artifacts/screenshots/.
 */
import { jest } from '@jest/globals';
import type { Locator, Page } from 'playwright-core';
import { launchBrowser, screenshot, waitForImages, type Browser } from '../helpers/browser.js';
import { startConsoleServer, type ConsoleServer } from '../helpers/console-server.js';
import { samplePhoto } from '../helpers/images.js';

// Generous budgets for a loaded machine: waits end as soon as the page is ready.
jest.setTimeout(240_000);
const WAIT_MS = Number(process.env.E2E_WAIT_MS ?? 90_000);

const TOKEN = 'e2e-delivery-token-0123456789';

/** The little of the DOM the page-side callbacks use (the tests are type-checked without the DOM library). */
interface PageDom {
  document: {
    createElement(tag: string): { id: string; innerHTML: string };
    querySelector(selector: string): { append(node: unknown): void; currentSrc?: string } | null;
  };
}

describe('console: delivery settings and renditions by URL', () => {
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;
  const bearer = { authorization: `Bearer ${TOKEN}` };
  const editor = () => page.locator('form.setting-editor');
  const row = (name: string) => page.locator(`tr[data-setting="${name}"]`);
  const tab = (name: string) => page.getByRole('navigation', { name: 'Delivery settings' }).getByRole('link', { name });

  /** Fills the editor open on the page and submits it. */
  async function submit(form: Locator, fields: { name?: string; value: unknown }): Promise<void> {
    if (fields.name !== undefined) await form.getByLabel('Name').fill(fields.name);
    await form.getByLabel('Value (JSON)').fill(typeof fields.value === 'string' ? fields.value : JSON.stringify(fields.value));
    await form.getByRole('button', { name: /^(Create|Save)$/ }).click();
  }

  beforeAll(async () => {
    server = await startConsoleServer({ CONSOLE_TOKEN: TOKEN, SETTINGS_CACHE_SECONDS: '0' });
    browser = await launchBrowser();
    page = browser.page;
    page.setDefaultTimeout(WAIT_MS);
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${server.url}/console/`);
    await page.getByLabel('Console token (CONSOLE_TOKEN)').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Executions' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(() => {
    // No Content-Security-Policy violation, no uncaught error, on any page; the refusals these tests
    // provoke on purpose (400, 409, 412) are logged by Chromium as failed loads, and only those.
    const unexpected = browser.errors.filter((error) => !/the server responded with a status of (400|409|412)\b/.test(error));
    browser.errors.length = 0;
    expect(unexpected).toEqual([]);
  });

  test('origins: a bad name is refused in the page, a bad value by the server with its message, a good one is created', async () => {
    await page.getByRole('link', { name: 'Delivery' }).click();
    await page.getByRole('heading', { name: 'Origins' }).waitFor();
    await page.getByRole('button', { name: 'New origin' }).click();
    const form = editor();
    await submit(form, { name: 'Shop Images', value: { type: 's3', bucket: 'images' } });
    await form.getByRole('alert').filter({ hasText: 'The name is lower-case letters' }).waitFor();
    await submit(form, { name: 'shop', value: '{"type": "s3",' });
    await form.getByRole('alert').filter({ hasText: 'The value is not JSON' }).waitFor();
    await submit(form, { name: 'shop', value: { type: 'ftp', bucket: 'images' } });
    await form.getByRole('alert').filter({ hasText: /^Settings::Invalid: The origins setting is invalid: type: / }).waitFor();
    await submit(form, { name: 'shop', value: { type: 's3', bucket: 'images', description: 'The shop' } });
    await page.getByRole('status').filter({ hasText: 'Saved shop (version 1).' }).waitFor();
    expect(await row('shop').locator('code').textContent()).toBe('{"type":"s3","bucket":"images","description":"The shop"}');
    expect(await editor().count()).toBe(0);
    // Created means created: the same name again is someone else's, refused with If-None-Match.
    await page.getByRole('button', { name: 'New origin' }).click();
    await submit(editor(), { name: 'shop', value: { type: 's3', bucket: 'images' } });
    await editor().getByRole('alert').filter({ hasText: 'Someone else saved "shop" first' }).waitFor();
    await editor().getByRole('button', { name: 'Cancel' }).click();
  });

  test('policies: built-ins read-only; two operators edit at once and the second is told to reload; a preview renders through ?preset=', async () => {
    await tab('Policies').click();
    await page.getByRole('heading', { name: 'Policies' }).waitFor();
    await row('thumbnail').getByText('built-in').waitFor();
    expect(await row('thumbnail').getByRole('button', { name: 'Delete thumbnail' }).count()).toBe(0);
    await row('thumbnail').getByRole('button', { name: 'View thumbnail', exact: true }).click();
    await editor().getByRole('heading', { name: 'thumbnail (built-in, read-only)' }).waitFor();
    expect(await editor().getByRole('button', { name: /^(Create|Save)$/ }).count()).toBe(0);
    await editor().getByRole('button', { name: 'Close' }).click();

    await page.getByRole('button', { name: 'New policy' }).click();
    await submit(editor(), { name: 'card', value: { edits: { resize: { width: 200 } }, output: { format: 'webp' } } });
    await row('card').waitFor();

    // Operator one opens the editor at version 1 ...
    await row('card').getByRole('button', { name: 'Edit card' }).click();
    await editor().getByText('editing version 1').waitFor();
    // ... operator two saves first, through the API ...
    const other = await page.request.put(`${server.url}/api/policies/card`, {
      data: { edits: { resize: { width: 300 } }, output: { format: 'webp' } },
      headers: { ...bearer, 'content-type': 'application/json', 'if-match': '"1"' },
    });
    expect(other.status()).toBe(200);
    // ... so operator one's save is refused, and reloading shows operator two's version.
    await submit(editor(), { value: { edits: { resize: { width: 240 } }, output: { format: 'webp' } } });
    const alert = editor().getByRole('alert');
    await alert.filter({ hasText: 'Someone else saved "card" first — reload to see their version' }).waitFor();
    await alert.getByRole('button', { name: 'Reload' }).click();
    await editor().getByText('editing version 2').waitFor();
    expect(JSON.parse(await editor().getByLabel('Value (JSON)').inputValue())).toEqual({ edits: { resize: { width: 300 } }, output: { format: 'webp' } });
    await submit(editor(), { value: { edits: { resize: { width: 240 } }, output: { format: 'webp' } } });
    await page.getByRole('status').filter({ hasText: 'Saved card (version 3).' }).waitFor();

    await row('card').getByRole('button', { name: 'Preview card' }).click();
    const preset = page.locator('[data-preview-side="?preset=card"]');
    await waitForImages(page, '[data-preview-side="?preset=card"] img', { width: 240 });
    await preset.locator('.result-facts', { hasText: 'image/webp' }).waitFor();
    await waitForImages(page, '[data-preview-side="Original"] img');
    const original = await page.locator('[data-preview-side="Original"] img').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth);
    expect(original).toBeGreaterThan(240);
    expect(await preset.locator('code.url').textContent()).toMatch(/\/[a-z]+\.jpg\?preset=card$/);
    await screenshot(page, 'delivery-settings');
  });

  test('mappings: an unknown origin is refused, a good mapping routes, and the origin it uses cannot be deleted', async () => {
    await tab('Mappings').click();
    await page.getByRole('button', { name: 'New mapping' }).click();
    await submit(editor(), { name: 'shop', value: { pathPrefix: '/shop', origin: 'nowhere' } });
    await editor().getByRole('alert').filter({ hasText: 'Settings::UnknownReference: The mapping refers to origin "nowhere"' }).waitFor();
    await submit(editor(), { name: 'shop', value: { pathPrefix: '/shop', origin: 'shop', policy: 'card' } });
    await row('shop').waitFor();
    await screenshot(page, 'delivery-mappings');
    // The mapping at work: its prefix, its origin's bucket, its policy.
    const routed = await page.request.get(`${server.url}/shop/chelsea.jpg`);
    expect({ status: routed.status(), type: routed.headers()['content-type'] }).toEqual({ status: 200, type: 'image/webp' });

    await tab('Origins').click();
    await row('shop').getByRole('button', { name: 'Delete shop' }).click();
    await page.getByRole('alert').filter({ hasText: 'Settings::InUse: The origins setting "shop" is used by the mappings shop.' }).waitFor();
    await row('shop').waitFor();
  });

  test('an upload: its renditions by public URL, a <picture> snippet the browser loads, and "Open in playground"', async () => {
    const upload = await page.request.put(`${server.url}/api/uploads/e2e/coffee.jpg`, { data: samplePhoto('coffee'), headers: { ...bearer, 'content-type': 'image/jpeg' } });
    expect(upload.status()).toBe(202);
    await page.goto(`${server.url}/console/#/images/uploads/e2e/coffee.jpg`);
    // The page polls the manifest: the table shows once the workflow has published.
    await page.locator('.rendition-urls tr[data-rendition-url]').nth(3).waitFor();
    const urls = await page.locator('.rendition-urls a.url').allTextContents();
    expect(urls).toHaveLength(4);
    for (const url of urls) {
      expect(url).toMatch(new RegExp(`^${server.url}/r/e2e/coffee\\.jpg/[a-z]+\\.(webp|jpg|avif)\\?v=[0-9a-f]{16}$`));
      const response = await page.request.get(url);
      expect({ url, status: response.status(), type: response.headers()['content-type'] }).toEqual({ url, status: 200, type: `image/${/\.([a-z]+)\?/.exec(url)![1]!.replace('jpg', 'jpeg')}` });
    }
    const snippet = (await page.locator('pre.snippet').textContent())!;
    expect(snippet).toMatch(/^<picture>\n {2}<source type="image\/avif" srcset="[^"]+ 240w"/);
    // Pasted into a page, the browser picks a rendition from it (AVIF: Chromium has it).
    await page.evaluate((html) => {
      const { document } = globalThis as unknown as PageDom;
      const probe = document.createElement('div');
      probe.id = 'snippet-probe';
      probe.innerHTML = html;
      document.querySelector('main')!.append(probe);
    }, snippet);
    await page.locator('#snippet-probe img').scrollIntoViewIfNeeded();
    await waitForImages(page, '#snippet-probe img');
    const chosen = await page.evaluate(() => (globalThis as unknown as PageDom).document.querySelector('#snippet-probe img')!.currentSrc);
    expect(chosen).toMatch(/\/r\/e2e\/coffee\.jpg\/[a-z]+\.avif\?v=/);
    await page.locator('#snippet-probe').evaluate((probe) => (probe as unknown as { remove(): void }).remove());
        await screenshot(page, 'image-srcset');

    await page.getByRole('link', { name: 'Open in playground' }).click();
    await page.getByRole('heading', { name: 'Playground: e2e/coffee.jpg' }).waitFor();
    await waitForImages(page, '.upload-playground .preview-image img');
    await page.getByLabel('Rendition').selectOption({ label: (await page.getByLabel('Rendition').locator('option').nth(2).textContent())! });
    expect(await page.locator('.upload-playground .preview-image').getAttribute('data-preview')).toMatch(/^\/r\/e2e\/coffee\.jpg\/.+\?v=/);
    await waitForImages(page, '.upload-playground .preview-image img');
    // No error box (a missing rendition shows "404 …" in one). Not getByText('404'): it matches any
    // text holding those digits, such as the server's port in the rendition URLs (localhost:40487).
    expect(await page.locator('.error-box').allTextContents()).toEqual([]);
    await screenshot(page, 'playground-upload');
  });
});
