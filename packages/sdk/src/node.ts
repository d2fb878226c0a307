// Node entry: everything from the main entry, plus file-path/Buffer/stream inputs and env fallbacks.
import { createClientCore, type FaceEncodeClient } from './client.js';
import { isNodeUploadInput, nodeInputToBlob, type NodeUploadInput } from './node-input.js';
import type { ClientOptions } from './types.js';
import { SDK_VERSION } from './version.js';

export * from './index.js';
export { readImageFile, isNodeUploadInput, type NodeUploadInput } from './node-input.js';

/** The client of the node entry: uploads also take paths, Buffers and Readables. */
export type NodeFaceEncodeClient = FaceEncodeClient<NodeUploadInput>;

/**
 * Creates a client; `baseUrl` falls back to env `FACE_ENCODE_URL`, `apiKey` to `FACE_ENCODE_API_KEY`,
 * and `userAgent` defaults to `face-encode-sdk/<version>`.
 */
export function createFaceEncodeClient(options: ClientOptions = {}): NodeFaceEncodeClient {
  const env = globalThis.process?.env ?? {};
  return createClientCore(
    {
      ...options,
      baseUrl: options.baseUrl ?? env.FACE_ENCODE_URL,
      apiKey: options.apiKey ?? (options.token ? undefined : env.FACE_ENCODE_API_KEY),
      userAgent:
        options.userAgent ?? `face-encode-sdk/${SDK_VERSION} node/${globalThis.process?.version ?? ''}`,
    },
    { toBlob: nodeInputToBlob, isInput: isNodeUploadInput },
  );
}
