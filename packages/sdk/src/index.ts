// Browser-safe main entry: nothing reachable from here may import `node:` modules.
import { createClientCore, type FaceEncodeClient } from './client.js';
import type { ClientOptions, UploadInput } from './types.js';
import { toBlob } from './upload-body.js';

export { ApiPromise, type WithResponse } from './api-promise.js';
export type { FaceEncodeClient } from './client.js';
export * from './errors.js';
export { faceDistance } from './face-distance.js';
export type * from './types.js';
export type { components, paths } from './generated/openapi.js';
export { SDK_VERSION } from './version.js';
export {
  signWebhook,
  verifyWebhook,
  WebhookVerificationError,
  type VerifiedWebhook,
  type VerifyWebhookOptions,
  type WebhookHeaders,
  type WebhookVerifyFailure,
} from './verify-webhook.js';

/** Whether a value is a main-entry upload input (as opposed to an `{ input, imageName }` wrapper). */
export function isUploadInput(value: unknown): value is UploadInput {
  return value instanceof Blob || value instanceof ArrayBuffer || value instanceof Uint8Array;
}

/** Creates a client for the face-encode API (browser-safe; see `@face-encode/sdk/node` for paths and streams). */
export function createFaceEncodeClient(options: ClientOptions = {}): FaceEncodeClient {
  return createClientCore(options, { toBlob, isInput: isUploadInput });
}
