import type { FaceEncodeClient } from '@face-encode/sdk/node';
import type { Output } from './output.js';
import type { Settings } from './settings.js';

/** Builds the SDK client lazily: the SDK loads only when a command talks to the server. */
export async function createClient(
  settings: Settings,
  out: Output,
  version: string,
): Promise<FaceEncodeClient> {
  const { createFaceEncodeClient } = await import('@face-encode/sdk/node');
  return createFaceEncodeClient({
    baseUrl: settings.url,
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
    ...(settings.userId ? { userId: settings.userId } : {}),
    ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
    ...(settings.debug ? { fetch: loggingFetch(out) } : {}),
    userAgent: `face-encode-cli/${version}`,
  });
}

/** `--debug`: one line per request with method, URL, status and time; never bodies or keys. */
function loggingFetch(out: Output): typeof fetch {
  return async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const started = performance.now();
    try {
      const response = await fetch(input, init);
      const ms = Math.round(performance.now() - started);
      out.debug(`${request.method} ${request.url} -> ${response.status} (${ms} ms)`);
      return response;
    } catch (err) {
      out.debug(`${request.method} ${request.url} -> ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  };
}
