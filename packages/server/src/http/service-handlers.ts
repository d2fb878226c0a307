import { collectionRoutes } from './routes/collections.js';
import type { DataDisk } from '../storage/data-disk.js';
import { imageRoutes } from './routes/images.js';
import type { HandlerDeps } from './routes/handler-deps.js';
import { operationRoutes } from './routes/operations.js';
import { selfieRoutes } from './routes/selfie.js';
import { sessionRoutes } from './routes/sessions.js';
import { uploadRoutes } from './routes/uploads.js';

export type { HandlerDeps } from './routes/handler-deps.js';

/** The handlers of the OpenAPI operations, by operationId: the one object fastify-openapi-glue takes. */
export function createServiceHandlers(d: HandlerDeps) {
  return {
    ...sessionRoutes(d),
    ...imageRoutes(d),
    ...uploadRoutes(d),
    ...collectionRoutes(d),
    ...selfieRoutes({ config: d.config, encoder: d.pipeline }),
    ...operationRoutes({
      metrics: d.metrics,
      document: d.document,
      readiness: {
        model: async () => {
          if (!d.pipeline.ready) throw new Error('loading');
        },
        store: () => d.store.ping(),
        queue: () => d.queue.ping(),
        blobs: () => d.blobs.ping(),
        ...(d.disk ? { disk: () => (d.disk as DataDisk).check() } : {}),
      },
    }),
  };
}
