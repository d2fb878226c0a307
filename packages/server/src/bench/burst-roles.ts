// The two kinds of helper process `pnpm bench:burst` starts, so the load and the probe are not timed by
// the same event loop that sends 150 bodies (one process sending them all failed under load): a client
// sends its uploads all at once when told to go; the prober times GET /healthz every 50 ms.
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/** One upload's outcome, as a client reports it. */
export interface UploadOutcome {
  status: number;
  retryAfter: string | null;
  ms: number;
  /** With status 0: why no answer came (the error's code, e.g. ECONNRESET, or its message). */
  error?: string;
}

const UPLOAD_TIMEOUT_MS = 180_000;
const PROBE_TIMEOUT_MS = 10_000;
const PROBE_EVERY_MS = 50;
/** The prober's bound, so a lost "stop" cannot leave it running. */
const PROBE_MAX_MS = 600_000;

/** Resolves at the first line on stdin (the orchestrator's "go" or "stop"). */
const nextLine = () =>
  new Promise<void>((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.once('line', () => {
      lines.close();
      resolve();
    });
  });

/**
 * Opens ceil(uploads / 5) sessions as `user`, prints "ready", waits for "go", then sends every upload at
 * once and prints their outcomes as one JSON line.
 */
export async function runBurstClient(url: string, imagePath: string, uploads: number, user: string) {
  const image = new Uint8Array(await readFile(imagePath));
  const headers = { user_id: user };
  const sessions: string[] = [];
  for (let i = 0; i < Math.ceil(uploads / 5); i++) {
    const res = await fetch(`${url}/v1/session`, { method: 'POST', headers });
    sessions.push(((await res.json()) as { session_id: string }).session_id);
  }
  console.log('ready');
  await nextLine();
  const outcomes = await Promise.all(
    Array.from({ length: uploads }, async (_, i): Promise<UploadOutcome> => {
      const form = new FormData();
      form.set('file', new Blob([image], { type: 'image/jpeg' }), 'burst.jpg');
      const t = performance.now();
      try {
        const res = await fetch(`${url}/v1/image/${sessions[Math.floor(i / 5)]}`, {
          method: 'POST',
          headers,
          body: form,
          signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS),
        });
        await res.arrayBuffer();
        return { status: res.status, retryAfter: res.headers.get('retry-after'), ms: performance.now() - t };
      } catch (error) {
        // Reset, refused or timed out: no HTTP answer.
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const reason = cause?.code ?? cause?.message ?? (error as Error).name;
        return { status: 0, retryAfter: null, ms: performance.now() - t, error: reason };
      }
    }),
  );
  console.log(JSON.stringify(outcomes));
}

/** Times GET /healthz every 50 ms until "stop" on stdin, then prints the latencies (ms) as one JSON line. */
export async function runHealthProbe(url: string) {
  const latencies: number[] = [];
  let failures = 0;
  let stopped = false;
  void nextLine().then(() => (stopped = true));
  const until = performance.now() + PROBE_MAX_MS;
  while (!stopped && performance.now() < until) {
    const t = performance.now();
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      await res.arrayBuffer();
      if (res.status !== 200) failures += 1;
    } catch {
      failures += 1;
    }
    const ms = performance.now() - t;
    latencies.push(ms);
    await new Promise((r) => setTimeout(r, Math.max(0, PROBE_EVERY_MS - ms)));
  }
  console.log(JSON.stringify({ latencies, failures }));
}
