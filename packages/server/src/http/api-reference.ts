import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The API reference at /docs: Scalar's standalone bundle, as shipped inside
 * @scalar/fastify-api-reference, served by this server with every other asset, and pointed at the
 * same /openapi.json the server validates with. No inline script, so the page's CSP needs neither
 * 'unsafe-inline' nor a hash for scripts. Scalar injects its own styles at run time, hence
 * style-src 'unsafe-inline'.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The scripts the page loads, by the name in /docs/assets/{asset}. */
export type DocsAsset = 'api-reference.js' | 'api-reference-init.js';

declare const Scalar: { createApiReference(target: string, config: Record<string, unknown>): unknown };

/**
 * Runs in the browser (serialized with toString): fetches /openapi.json and mounts Scalar on it.
 * Scalar 1.40 drops the description of a `$ref`'d response and shows a `$ref`'d example as raw JSON,
 * so references into components/responses, examples, parameters and headers are inlined first;
 * schemas stay references, and so stay the Models section. Paths are relative, so the page also
 * works behind a proxy that mounts the API under a prefix.
 */
function initApiReference(): void {
  type Json = unknown;
  const INLINED = /^#\/components\/(responses|examples|parameters|headers)\//;
  void fetch(new URL('openapi.json', document.baseURI).href)
    .then((r) => r.json() as Promise<Record<string, Json>>)
    .then((doc) => {
      const at = (ref: string): Json =>
        ref
          .slice(2)
          .split('/')
          .reduce<Json>(
            (node, key) => (node as Record<string, Json>)[key.replace(/~1/g, '/').replace(/~0/g, '~')],
            doc,
          );
      const inline = (node: Json): Json => {
        if (Array.isArray(node)) return node.map(inline);
        if (node === null || typeof node !== 'object') return node;
        const ref = (node as { $ref?: unknown }).$ref;
        if (typeof ref === 'string' && INLINED.test(ref)) return inline(at(ref));
        return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, inline(v)]));
      };
      Scalar.createApiReference('#app', {
        content: { ...doc, paths: inline(doc.paths), webhooks: inline(doc.webhooks) },
        withDefaultFonts: false,
        telemetry: false,
        showOperationId: true,
        defaultOpenAllTags: true,
        expandAllResponses: true,
        documentDownloadType: 'json',
      });
    });
}

const INIT = `(${initApiReference.toString()})();\n`;

let bundle: string | undefined;

/** Scalar's standalone bundle (3 MB), read once on first request. */
function scalarBundle(): string {
  if (bundle === undefined) {
    const entry = createRequire(import.meta.url).resolve('@scalar/fastify-api-reference');
    // The bundled zod probes for eval with `new Function("")`; the CSP blocks it as it should, but
    // Chrome reports every blocked probe as a violation. Answer the probe "no" (zod's jitless mode).
    bundle = readFileSync(join(dirname(entry), 'js', 'standalone.js'), 'utf8').replace(
      'try{return new Function(""),!0}catch(e){return!1}',
      'return!1',
    );
  }
  return bundle;
}

/** The body of one of the page's scripts. */
export function docsAsset(name: DocsAsset): string {
  return name === 'api-reference.js' ? scalarBundle() : INIT;
}

const escape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** The page: an empty mount point and two same-origin scripts. */
export function docsPage(info: { title: string; version: string }): string {
  const title = escape(`${info.title} ${info.version}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
</head>
<body>
<noscript>${title}: this reference needs JavaScript. The document itself is at <a href="openapi.json">/openapi.json</a>.</noscript>
<div id="app"></div>
<script src="docs/assets/api-reference.js"></script>
<script src="docs/assets/api-reference-init.js"></script>
</body>
</html>
`;
}
