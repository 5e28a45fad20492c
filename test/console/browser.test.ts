/**
 * The console end to end, in headless Chromium against a real server: signing in, the
 * playground's signed URLs, the images page. Screenshots land in test-artifacts/screenshots/.
 */
import { jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import { writeSecret } from '../helpers/app.js';
import { launchBrowser, screenshot, waitForImages, type Browser } from '../helpers/browser.js';
import { startConsoleServer, type ConsoleServer } from '../helpers/console-server.js';

jest.setTimeout(90_000);

const TOKEN = 'e2e-console-token-0123456789';

describe('console in a browser', () => {
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = await startConsoleServer({ CONSOLE_TOKEN: TOKEN, ENABLE_SIGNATURE: 'Yes', SECRETS_MANAGER: 'signing', SECRET_KEY: 'signatureKey' });
    await writeSecret(server.dataDir, 'signing', { signatureKey: 'e2e-signing-secret' });
    browser = await launchBrowser();
    page = browser.page;
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
    await page.getByLabel('Console token (CONSOLE_TOKEN)').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Playground' }).waitFor();
    const cookies = await browser.context.cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: 'shutter_console', httpOnly: true, sameSite: 'Strict' })]);
    expect(await page.content()).not.toContain(TOKEN);
  });

  test('playground: controls build the image, and every dialect is signed by the server and served', async () => {
    await page.goto(`${server.url}/console/#/playground?key=chelsea.jpg`);
    await page.getByLabel('Width').fill('320');
    await page.getByLabel('Width').blur();
    await page.getByLabel('Height').fill('200');
    await page.getByLabel('Height').blur();
    await page.getByLabel('Format').selectOption('webp');
    await page.getByLabel('grayscale').check();
    const image = page.getByAltText('Transformed image');
    await waitForImages(page, 'img[alt="Transformed image"]', { width: 320, height: 200 });
    await image.waitFor();
    await page.locator('.result-facts', { hasText: 'image/webp' }).waitFor();
    const rows = page.locator('.url-row');
    await page.locator('.url-row[data-signed="true"]').nth(2).waitFor();
    const urls = await rows.locator('code.url').allTextContents();
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

  test('images: the source bucket as previews, and one image with its facts', async () => {
    await page.goto(`${server.url}/console/#/images`);
    await waitForImages(page, '.image-grid img', { count: 4 });
    await screenshot(page, 'images');
    await page.getByRole('link', { name: /astronaut\.jpg/ }).click();
    await page.getByRole('heading', { name: 'astronaut.jpg' }).waitFor();
    await waitForImages(page, '.focal-frame img');
  });
});
