// A real browser (Debian Chromium via playwright-core) loads the Vite-built example page, which
// uploads a photo with the SDK to the real reference server over CORS and renders the summary.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { radosgwMissing, startRadosgw, type Radosgw } from '../../server/src/dev/radosgw.js';
import { CHROMIUM, hasChromium, launchChromium } from '../../server/test/support/chromium.js';
import { samplePath, startTestServer } from './server-fixture.js';

const exampleDir = fileURLToPath(new URL('../../../examples/browser/', import.meta.url));
const sdkSource = fileURLToPath(new URL('../src/index.ts', import.meta.url));
if (!hasChromium)
  console.warn(`browser.test.ts skipped: ${CHROMIUM} is missing (apt-get install -y chromium).`);
const rgwMissing = radosgwMissing();
const skipS3 = rgwMissing !== null && !process.env.CI;
if (skipS3) console.warn(`browser.test.ts S3 case skipped: ${rgwMissing}. With CI set it fails instead.`);

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/** Serves the built page, plus /sample.jpg read in place from face-api's demo photos. */
function serveStatic(root: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file =
      path === '/sample.jpg' ? samplePath(2) : join(root, normalize(path === '/' ? '/index.html' : path));
    if (!file.startsWith(root) && path !== '/sample.jpg') {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'image/jpeg' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    });
  });
}

describe.skipIf(!hasChromium)('browser example', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'sdk-browser-'));
  let page: { server: Server; origin: string };
  let api: Awaited<ReturnType<typeof startTestServer>>;
  /** A second server whose blobs live in radosgw, whose bucket allows the page's origin (CORS). */
  let s3Api: Awaited<ReturnType<typeof startTestServer>> | undefined;
  let rgw: Radosgw | undefined;
  let browser: Browser;

  beforeAll(async () => {
    // Vite 7 from the example package itself; the SDK comes from source so the test sees this checkout.
    const vite = (await import(
      pathToFileURL(join(exampleDir, 'node_modules/vite/dist/node/index.js')).href
    )) as { build: (config: Record<string, unknown>) => Promise<unknown> };
    await vite.build({
      root: exampleDir,
      configFile: false,
      logLevel: 'silent',
      resolve: { alias: { '@face-encode/sdk': sdkSource } },
      build: { outDir, emptyOutDir: true, target: 'es2022' },
    });
    page = await serveStatic(outDir);
    api = await startTestServer({ corsOrigins: [page.origin] });
    browser = await launchChromium();
    if (skipS3) return;
    rgw = await startRadosgw();
    await rgw.createBucket('browser');
    await rgw.allowBrowserUploads('browser', page.origin);
    vi.stubEnv('AWS_ACCESS_KEY_ID', rgw.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', rgw.secretAccessKey);
    s3Api = await startTestServer({
      corsOrigins: [page.origin],
      blobUrl: 's3://browser/blobs',
      s3Endpoint: rgw.endpoint,
      s3Region: rgw.region,
      s3ForcePathStyle: true,
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await s3Api?.close();
    await rgw?.stop();
    vi.unstubAllEnvs();
    await new Promise((r) => page?.server.close(r) ?? r(undefined));
    rmSync(outDir, { recursive: true, force: true });
  });

  interface PageSummary {
    status: string;
    images: { status: string; image_name: string; faces: { encoding: string }[] }[];
  }

  /** Opens the page with `extra` query parameters and returns its summary once done (or its error). */
  async function runPage(extra: Record<string, string> = {}, target = api) {
    const tab = await browser.newPage();
    const logs: string[] = [];
    const requests: { method: string; url: string }[] = [];
    tab.on('console', (m) => logs.push(m.text()));
    tab.on('pageerror', (e) => logs.push(`uncaught: ${e.message}`));
    tab.on('request', (r) => requests.push({ method: r.method(), url: r.url() }));
    const query = new URLSearchParams({
      server: target.server.url,
      sample: '/sample.jpg',
      user: 'browser-test',
      ...extra,
    });
    tab.on('requestfailed', (r) => logs.push(`failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
    await tab.goto(`${page.origin}/?${query}`);
    await tab
      .waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 50_000 })
      .catch(async (error: unknown) => {
        const status = await tab.textContent('#status');
        throw new Error(`page stuck at "${status}"; console: ${logs.join('\n')}`, { cause: error });
      });
    const error = await tab.textContent('#error');
    expect(error, `page error; console: ${logs.join('\n')}`).toBe('');
    const summary = JSON.parse((await tab.textContent('#summary')) ?? '{}') as PageSummary;
    const progress = await tab.$eval('#progress-text', (el) => ({ ...(el as HTMLElement).dataset }));
    await tab.close();
    // Only the calls to the API: the page's own files and the sample are left out.
    const apiCalls = requests
      .filter((r) => r.url.startsWith(target.server.url))
      .map((r) => `${r.method} ${new URL(r.url).pathname}`);
    const putUrl = requests.find((r) => r.method === 'PUT')?.url;
    return { summary, apiCalls, progress, putUrl };
  }

  const expectOneDoneFace = (summary: PageSummary) => {
    expect(summary.status).toBe('completed');
    expect(summary.images).toHaveLength(1);
    expect(summary.images[0]).toMatchObject({ status: 'done', image_name: 'sample.jpg' });
    expect(summary.images[0]?.faces.length).toBeGreaterThanOrEqual(1);
    expect(summary.images[0]?.faces[0]?.encoding).toBe('[128 numbers]');
  };

  it('uploads a photo from the page and renders a done image with a face', async () => {
    const { summary, apiCalls, progress } = await runPage();
    expectOneDoneFace(summary);
    expect(apiCalls).toContainEqual(expect.stringMatching(/^POST \/v1\/image\/[\w-]+$/));
    expect(apiCalls.filter((c) => c.includes('/upload-url') || c.includes('/v1/uploads/'))).toEqual([]);
    expect(progress).toEqual({});
  });

  it('with the direct-upload switch: reserves, PUTs the bytes to the upload URL, completes', async () => {
    const { summary, apiCalls, progress, putUrl } = await runPage({ direct: '1' });
    expectOneDoneFace(summary);
    // The bytes went to the upload target (on the file store, the API's own PUT /v1/uploads/{token}),
    // across origins: Chromium sent the PUT only after its CORS preflight passed.
    const steps = apiCalls.filter((c) =>
      /upload-url|\/v1\/uploads\/|\/complete$|^POST \/v1\/image\//.test(c),
    );
    expect(steps).toEqual([
      expect.stringMatching(/^POST \/v1\/image\/[\w-]+\/upload-url$/),
      expect.stringMatching(/^PUT \/v1\/uploads\/[\w.-]+$/),
      expect.stringMatching(/^POST \/v1\/image\/[\w-]+\/[\w-]+\/complete$/),
    ]);
    // Chromium reported the upload's progress, up to every byte of the photo.
    const size = readFileSync(samplePath(2)).byteLength;
    expect(progress).toEqual({ sent: String(size), total: String(size) });
    // The preflight Chromium sent (not reported to the page) allows the page's origin, PUT and the
    // headers the SDK sets; asked again here to see its answer.
    const preflight = await fetch(putUrl ?? '', {
      method: 'OPTIONS',
      headers: {
        origin: page.origin,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type,content-md5',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(page.origin);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/content-type.*content-md5/);
  });

  it.skipIf(skipS3)(
    'direct upload to S3: the browser PUTs the photo to radosgw under the bucket CORS rule',
    async () => {
      const { summary, apiCalls, progress, putUrl } = await runPage({ direct: '1' }, s3Api);
      expectOneDoneFace(summary);
      // Presigned, straight to the bucket: the API saw the reservation and the completion, not the bytes.
      expect(putUrl?.startsWith(`${rgw?.endpoint}/browser/blobs/uploads/`)).toBe(true);
      expect(
        apiCalls.filter((c) => /upload-url|\/complete$|^(PUT|POST) \/v1\/(uploads|image\/[\w-]+$)/.test(c)),
      ).toEqual([
        expect.stringMatching(/^POST \/v1\/image\/[\w-]+\/upload-url$/),
        expect.stringMatching(/^POST \/v1\/image\/[\w-]+\/[\w-]+\/complete$/),
      ]);
      const size = readFileSync(samplePath(2)).byteLength;
      expect(progress).toEqual({ sent: String(size), total: String(size) });
    },
  );
});
