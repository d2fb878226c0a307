// A real browser (Debian Chromium via playwright-core) opens /docs and reads, as a person would,
// every operation of the document the server serves at /openapi.json: its parameters, every
// documented response with its description and error codes. Nothing may leave the loopback and the
// page's Content-Security-Policy may not be violated.
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium, CHROMIUM } from '../support/chromium.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

if (!hasChromium)
  console.warn(`api-reference.test.ts skipped: ${CHROMIUM} is missing (apt-get install -y chromium).`);

type Json = Record<string, unknown>;
interface Operation {
  /** Scalar's anchor of the operation, e.g. `api-1/tag/sessions/GET/v1/session/{session_id}`. */
  anchor: string;
  operationId: string;
  summary: string;
  parameters: { name: string; in: string }[];
  responses: { code: string; description: string }[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const PARAM_SECTION: Record<string, string> = {
  path: 'path',
  query: 'query',
  header: 'headers',
  cookie: 'cookies',
};

/** Every operation and webhook of the document, with `$ref`s to parameters and responses followed. */
function operations(doc: Json): Operation[] {
  const resolve = (node: Json): Json =>
    typeof node.$ref === 'string'
      ? resolve(
          (node.$ref as string)
            .slice(2)
            .split('/')
            .reduce<Json>((o, k) => o[k] as Json, doc),
        )
      : node;
  const read = (entries: [string, Json][], anchor: (name: string, method: string, op: Json) => string) =>
    entries.flatMap(([name, item]) =>
      Object.entries(item)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, raw]) => {
          const op = raw as Json;
          const params = [...((item.parameters as Json[]) ?? []), ...((op.parameters as Json[]) ?? [])].map(
            resolve,
          );
          return {
            anchor: anchor(name, method, op),
            operationId: op.operationId as string,
            summary: op.summary as string,
            parameters: params.map((p) => ({ name: p.name as string, in: p.in as string })),
            responses: Object.entries(op.responses as Record<string, Json>).map(([code, r]) => ({
              code,
              description: resolve(r).description as string,
            })),
          };
        }),
    );
  const tag = (op: Json) => (op.tags as string[])[0];
  return [
    ...read(
      Object.entries(doc.paths as Record<string, Json>),
      (path, m, op) => `api-1/tag/${tag(op)}/${m.toUpperCase()}${path}`,
    ),
    ...read(
      Object.entries((doc.webhooks ?? {}) as Record<string, Json>),
      (name, m, op) =>
        `api-1/tag/${tag(op)}/webhook/${m.toUpperCase()}/${name.toLowerCase().replace(/[^a-z0-9]/g, '')}`,
    ),
  ];
}

/** The words a reader sees of a Markdown description: code and bold marks gone, spaces collapsed. */
const plain = (markdown: string) =>
  markdown
    .replace(/`|\*\*/g, '')
    .replace(/\s+/g, ' ')
    .trim();
const byId = (page: Page, id: string): Locator => page.locator(`[id="${id}"]`);

describe.skipIf(!hasChromium)('API reference at /docs', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let doc: Json;
  const requests: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    doc = (await (await server.call('/openapi.json')).json()) as Json;
    browser = await launchChromium();
    const context = await browser.newContext();
    // Every request the page makes, scripts, fetches, fonts, images and failed attempts alike.
    context.on('request', (r) => requests.push(r.url()));
    page = await context.newPage();
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (e) =>
        seen.push(`${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`),
      );
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(`${server.url}/docs`);
    const last = operations(doc).at(-1) as Operation;
    await byId(page, last.anchor).waitFor({ state: 'attached', timeout: 120_000 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('is served with a strict CSP, no inline script and only same-origin assets', async () => {
    const res = await server.call('/docs');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-eval/);
    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(body?.trim(), 'no inline script').toBe('');
      expect(attrs).toMatch(/src="docs\/assets\/[\w.-]+\.js"/);
    }
    for (const asset of ['api-reference.js', 'api-reference-init.js']) {
      const js = await server.call(`/docs/assets/${asset}`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    }
    expect((await server.call('/docs/assets/other.js')).status).toBe(400);
  });

  it('shows every operation with its id, summary, parameters and documented responses', async () => {
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThanOrEqual(14);
    for (const op of ops) {
      const section = byId(page, op.anchor);
      await section.scrollIntoViewIfNeeded();
      const text = await section.innerText();
      expect(text, op.anchor).toContain(op.summary);
      expect(text, op.anchor).toContain(op.operationId);
      for (const p of op.parameters)
        await expect(
          byId(page, `${op.anchor}.${PARAM_SECTION[p.in]}.${p.name}`).count(),
          `${op.anchor} ${p.in} ${p.name}`,
        ).resolves.toBe(1);

      for (const r of op.responses) {
        expect(await byId(page, `${op.anchor}.${r.code}`).count(), `${op.anchor} ${r.code}`).toBe(1);
        // The example card shows one status at a time, with the response's description under it.
        const tab = section.getByRole('tab', { name: `Status: ${r.code}`, exact: true });
        if ((await tab.count()) > 0) await tab.click();
        const shown = plain(await section.locator('.response-description').innerText());
        expect(shown, `${op.anchor} ${r.code}`).toBe(plain(r.description));
        // Error responses name their catalog codes, e.g. (`session_not_found`).
        for (const [, code] of r.description.matchAll(/`([a-z_]+)`/g)) expect(shown).toContain(code);
      }
    }
  }, 180_000);

  it('made no request off the loopback and reported no CSP violation', async () => {
    const origin = new URL(server.url).origin;
    const off = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:'));
    expect(off).toEqual([]);
    expect(requests).toContain(`${origin}/openapi.json`);
    expect(
      await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations),
    ).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
