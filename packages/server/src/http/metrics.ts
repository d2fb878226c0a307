import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { JobQueue } from '../queue/job-queue.js';

/**
 * One registry per app instance, so tests and several apps in one process never share counters.
 * Without a queue (the stateless encoder) there is no queue-depth gauge.
 */
export function createMetrics(queue?: JobQueue) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'face_encode_' });
  const httpDuration = new Histogram({
    name: 'face_encode_http_request_duration_seconds',
    help: 'HTTP request durations by route, method and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const jobsProcessed = new Counter({
    name: 'face_encode_jobs_processed_total',
    help: 'Encode jobs finished with a result.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const jobsFailed = new Counter({
    name: 'face_encode_jobs_failed_total',
    help: 'Encode jobs that failed for good, by error code.',
    labelNames: ['code'],
    registers: [registry],
  });
  const encodeDuration = new Histogram({
    name: 'face_encode_encode_duration_seconds',
    help: 'Time to decode, detect and encode one image on a worker.',
    buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 30],
    registers: [registry],
  });
  if (queue) queueDepthGauges(registry, queue);
  return {
    registry,
    httpDuration,
    // The histogram's child per method, route and status: labels() hashes its arguments on every call.
    httpChildren: new Map<string, Histogram.Internal<'method' | 'route' | 'status'>>(),
    pipeline: { jobsProcessed, jobsFailed, encodeDuration },
  };
}

/** Observes one request's duration (ms) in the HTTP histogram. */
export function observeRequest(
  metrics: AppMetrics,
  method: string,
  route: string | undefined,
  status: number,
  ms: number,
): void {
  const key = `${method} ${route ?? 'unmatched'} ${status}`;
  let child = metrics.httpChildren.get(key);
  if (!child) {
    child = metrics.httpDuration.labels(method, route ?? 'unmatched', String(status));
    metrics.httpChildren.set(key, child);
  }
  child.observe(ms / 1000);
}

/** The autoscaler's signals; one depth read serves both gauges of a scrape. */
function queueDepthGauges(registry: Registry, queue: JobQueue): void {
  let depthRead: Promise<Awaited<ReturnType<JobQueue['depth']>>> | null = null;
  const readDepth = () => (depthRead ??= queue.depth().finally(() => setImmediate(() => (depthRead = null))));
  new Gauge({
    name: 'face_encode_queue_depth',
    help: 'Encode jobs by state (waiting includes delayed retries; dead is the dead-letter set).',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const depth = await readDepth();
      this.set({ state: 'waiting' }, depth.waiting);
      this.set({ state: 'active' }, depth.active);
      this.set({ state: 'dead' }, depth.dead);
    },
  });
  new Gauge({
    name: 'face_encode_queue_oldest_waiting_seconds',
    help: 'Age of the oldest waiting encode job in seconds (0 when none waits).',
    registers: [registry],
    async collect() {
      const { oldestWaitingAt } = await readDepth();
      this.set(oldestWaitingAt === null ? 0 : Math.max(0, (Date.now() - oldestWaitingAt) / 1000));
    },
  });
}

export type AppMetrics = ReturnType<typeof createMetrics>;
