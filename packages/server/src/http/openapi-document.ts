import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The OpenAPI document, shipped next to dist (packages/server/openapi) or at the repo root in development. */
function documentPath(): string {
  for (const candidate of [
    '../openapi/face-encode.yaml',
    '../../openapi/face-encode.yaml',
    '../../../openapi/face-encode.yaml',
  ]) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('openapi/face-encode.yaml not found next to the server package.');
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { operationId?: string; [k: string]: unknown }>>;
  components: { schemas: Record<string, unknown>; [k: string]: unknown };
  [k: string]: unknown;
}

let cached: OpenApiDocument | undefined;

/** The parsed document; the server validates and serializes with it. Callers must not mutate it. */
export function loadOpenApiDocument(): OpenApiDocument {
  cached ??= parse(readFileSync(documentPath(), 'utf8')) as OpenApiDocument;
  return cached;
}
