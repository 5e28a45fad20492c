/**
 * Headless Chromium for the console's end-to-end tests: Debian's `chromium` (installed by
 * test/services/install.sh) driven by playwright-core, with a fresh profile per launch and no
 * network beyond the server under test. Missing Chromium fails the test, never skips it.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from './images.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.join(ROOT, 'test-artifacts', 'screenshots');

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Messages the page logged as errors (CSP violations included), and uncaught exceptions. */
  errors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run "bash test/services/install.sh" (installs Debian's chromium).`);
  const profile = await mkdtemp(path.join(tmpdir(), 'shutter-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 900 },
    // playwright's 30 s by default: a deadline a first Chromium start can pass on a busy machine.
    timeout: 120_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !/the server responded with a status of (401|404)/.test(message.text())) errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot under test-artifacts/screenshots/ (kept as a CI artefact). */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  // From the top, so the sticky header sits where it belongs in a full-page shot.
  await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The little of the DOM the page-side predicates use (the tests are type-checked without the DOM library). */
interface PageImages {
  document: { querySelectorAll(selector: string): Iterable<{ complete: boolean; naturalWidth: number; naturalHeight: number }> };
}

/** Waits until `count` images matching `selector` have loaded, optionally at an exact natural size. */
export async function waitForImages(page: Page, selector: string, expected: { count?: number; width?: number; height?: number } = {}): Promise<void> {
  await page.waitForFunction(
    ({ selector, count, width, height }) => {
      const images = [...(globalThis as unknown as PageImages).document.querySelectorAll(selector)];
      const loaded = images.filter(
        (img) => img.complete && img.naturalWidth > 0 && (width === undefined || img.naturalWidth === width) && (height === undefined || img.naturalHeight === height),
      );
      return loaded.length >= count;
    },
    { selector, count: expected.count ?? 1, width: expected.width, height: expected.height },
  ).catch(async (failure: Error) => {
    // Say what the page showed instead: an error box is the usual why.
    const errors = await page.locator('.error-box').allTextContents().catch(() => []);
    await screenshot(page, `timeout-${selector.replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
    throw new Error(`${failure.message}\nerrors on the page: ${JSON.stringify(errors)}`);
  });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

let axeSource: string | undefined;

/**
 * Runs axe-core (WCAG 2.0–2.2 A and AA rules) on the page as it is now and returns the
 * violations of serious or critical impact. axe is evaluated through the DevTools protocol,
 * which the page's Content-Security-Policy (`script-src 'self'`) does not block, so the test
 * keeps the CSP the console ships with.
 */
export async function seriousAccessibilityViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await readFile(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  if (!(await page.evaluate('typeof axe !== "undefined"'))) await page.evaluate(axeSource);
  const violations = (await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }, resultTypes: ['violations'] })
    .then((result) => result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ') + ' ' + n.html.slice(0, 200) + ' ' + n.failureSummary).slice(0, 5) })))`)) as AxeViolation[];
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}
