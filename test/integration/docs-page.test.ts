import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { chromiumPath } from '../../infra/local/install';
import { testOutputPath } from '../../infra/local/paths';
import { api } from '../helpers/api';

/*
 * The API docs page in a real browser: Debian's chromium (or CHROMIUM_PATH), driven by playwright-core,
 * against the test API. The page must list every route of DESIGN §2 and run a request for real.
 */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** DESIGN §2, as the OpenAPI document names the path parameters. */
const DESIGN_ROUTES = [
  'POST /api/v1/apps',
  'GET /api/v1/apps/{token}',
  'PUT /api/v1/apps/{token}',
  'POST /api/v1/apps/{token}/chats',
  'GET /api/v1/apps/{token}/chats',
  'GET /api/v1/apps/{token}/chats/{chatNumber}',
  'POST /api/v1/apps/{token}/chats/{chatNumber}/messages',
  'GET /api/v1/apps/{token}/chats/{chatNumber}/messages',
  'GET /api/v1/apps/{token}/chats/{chatNumber}/messages/{messageNumber}',
  'PUT /api/v1/apps/{token}/chats/{chatNumber}/messages/{messageNumber}',
  'GET /api/v1/apps/{token}/chats/{chatNumber}/messages/search',
  'GET /api/v1/apps/{token}/chats/{chatNumber}/messages/autocomplete',
  'GET /api/v1/docs',
];

const baseUrl = process.env.TEST_API_URL!;

describe('GET /api/v1/docs over HTTP', () => {
  it('→ 200 HTML that loads its assets from the API itself (no CDN) and the served OpenAPI document', async () => {
    const page = await api('GET', '/api/v1/docs');

    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const urls = [...String(page.body).matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(urls.length).toBeGreaterThanOrEqual(3);
    for (const url of urls) expect(url).toMatch(/^docs\/[\w.-]+\?v=/);
    expect(page.body).toContain("url: 'openapi.json'");
  });

  it('serves the pinned swagger-ui-dist files, gzip-encoded when accepted; an unknown asset is a 404', async () => {
    const bundle = await fetch(`${baseUrl}/api/v1/docs/swagger-ui-bundle.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(bundle.headers.get('content-encoding')).toBe('gzip');
    expect(await bundle.text()).toBe(readFileSync(require.resolve('swagger-ui-dist/swagger-ui-bundle.js'), 'utf8'));

    const css = await fetch(`${baseUrl}/api/v1/docs/swagger-ui.css`, { headers: { 'accept-encoding': 'identity' } });
    expect(css.status).toBe(200);
    expect(css.headers.get('content-encoding')).toBeNull();
    expect(await css.text()).toBe(readFileSync(require.resolve('swagger-ui-dist/swagger-ui.css'), 'utf8'));

    const unknown = await api('GET', '/api/v1/docs/index.html');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    // Names an object has of its own kind are not assets either (found by schemathesis: a 500).
    for (const name of ['__proto__', 'constructor', 'toString']) expect((await api('GET', `/api/v1/docs/${name}`)).status).toBe(404);
  });
});

describe('the docs page in headless Chromium', () => {
  let context: BrowserContext;
  let userDataDir: string;

  beforeAll(async () => {
    userDataDir = mkdtempSync(join(tmpdir(), 'chat-docs-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: chromiumPath(), headless: true, args: CHROMIUM_FLAGS });
  });

  afterAll(async () => {
    await context?.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });

  it('lists every route of DESIGN §2 and creates an application with Try it out → Execute (201)', async () => {
    const page = await context.newPage();
    const failedRequests: string[] = [];
    page.on('requestfailed', (request) => failedRequests.push(request.url()));
    page.on('request', (request) => {
      if (!request.url().startsWith(baseUrl)) failedRequests.push(`left the API: ${request.url()}`);
    });

    await page.goto(`${baseUrl}/api/v1/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 30_000 });

    const listed = await page.locator('.opblock').evaluateAll((blocks) =>
      blocks.map((block) => `${block.querySelector('.opblock-summary-method')?.textContent?.trim()} ${block.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`),
    );
    expect(listed).toEqual(expect.arrayContaining(DESIGN_ROUTES));

    const createApp = page.locator('.opblock-post').filter({ has: page.locator('.opblock-summary-path[data-path="/api/v1/apps"]') });
    await createApp.locator('.opblock-summary').click();
    await createApp.getByRole('button', { name: 'Try it out' }).click();
    await createApp.locator('textarea.body-param__text').fill(JSON.stringify({ name: 'created from the docs page' }));
    await createApp.getByRole('button', { name: 'Execute' }).click();

    const status = createApp.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor({ timeout: 30_000 });
    expect((await status.textContent())?.trim()).toBe('201');
    const body = JSON.parse((await createApp.locator('.live-responses-table .response-col_description pre').first().textContent()) ?? '{}');
    expect(body.name).toBe('created from the docs page');
    // The application really exists.
    expect((await api('GET', `/api/v1/apps/${body.token}`)).status).toBe(200);

    await page.screenshot({ path: testOutputPath('docs-page.png'), fullPage: true });
    expect(failedRequests).toEqual([]);
  });
});
