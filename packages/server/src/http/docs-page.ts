import type { OpenApiDocument } from './openapi-document.js';

const escape = (s: unknown) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** A self-contained API reference rendered from the document: no scripts, fonts or styles from a CDN. */
export function renderDocsPage(doc: OpenApiDocument): string {
  const info = doc.info as { title: string; version: string; description?: string };
  const ops = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map(([method, op]) => {
        const o = op as {
          operationId?: string;
          summary?: string;
          description?: string;
          responses?: Record<string, { description?: string }>;
        };
        const responses = Object.entries(o.responses ?? {})
          .map(([code, r]) => `<li><code>${escape(code)}</code> ${escape(r.description)}</li>`)
          .join('');
        return `<section id="${escape(o.operationId)}"><h2><span class="m ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h2>
<p><strong>${escape(o.summary)}</strong> <small>(${escape(o.operationId)})</small></p><pre>${escape(o.description)}</pre><ul>${responses}</ul></section>`;
      }),
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(info.title)} ${escape(info.version)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:920px;margin:2rem auto;padding:0 1rem;color:#1d2330}
code,pre{font-family:ui-monospace,monospace}pre{white-space:pre-wrap;background:#f5f6f8;padding:.6rem;border-radius:6px}
.m{display:inline-block;min-width:4.5em;text-align:center;border-radius:4px;color:#fff;font-size:.8em;padding:.1em .4em}
.get{background:#2f7d32}.post{background:#1565c0}.delete{background:#c62828}section{border-top:1px solid #e2e5ea;margin-top:1.5rem}</style>
</head><body><h1>${escape(info.title)} <small>${escape(info.version)}</small></h1><pre>${escape(info.description)}</pre>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>${ops.join('\n')}</body></html>`;
}
