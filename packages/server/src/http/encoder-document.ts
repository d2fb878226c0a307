import type { AuthMode } from '../config.js';
import type { OpenApiDocument } from './openapi-document.js';

/** What `face-encode-server encoder` serves: the synchronous encoder and the operations endpoints. */
export const ENCODER_OPERATIONS = ['encodeSelfie', 'getHealth', 'getReadiness', 'getMetrics', 'getOpenApi'];

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

type PathItem = OpenApiDocument['paths'][string];

/** The path item with only the encoder's operations (path-level fields kept), or null when none is left. */
function narrow(item: PathItem, auth: AuthMode): PathItem | null {
  const out: PathItem = {};
  let kept = false;
  for (const [key, value] of Object.entries(item)) {
    if (!METHODS.has(key)) out[key] = value;
    else if (ENCODER_OPERATIONS.includes(value.operationId ?? '')) {
      out[key] = auth === 'none' ? { ...value, security: [] } : value;
      kept = true;
    }
  }
  return kept ? out : null;
}

/**
 * The document narrowed to the encoder's operations, so its routes and its /openapi.json show only
 * what it serves. With auth `none` nothing asks for credentials.
 */
export function encoderDocument(document: OpenApiDocument, auth: AuthMode): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const [path, item] of Object.entries(document.paths)) {
    const narrowed = narrow(item, auth);
    if (narrowed) paths[path] = narrowed;
  }
  return structuredClone({
    ...document,
    servers: [{ url: 'http://127.0.0.1:8000', description: 'The stateless encoder on its default bind.' }],
    paths,
    ...(auth === 'none' ? { security: [] } : {}),
  });
}
