// The two kinds of helper process `pnpm bench:burst` starts, so the load and the probe are not timed by
// the same event loop that sends 150 bodies (one process sending them all failed under load): a client
// sends its uploads all at once when told to go; the prober times GET /healthz every 50 ms.
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
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

/** A new session's id, over a connection that closes after the answer. */
function openSession(url: string, user: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/v1/session`, {
      method: 'POST',
      agent: false,
      headers: { user_id: user },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve((JSON.parse(text) as { session_id: string }).session_id));
    });
    req.end();
  });
}

/** What one client process prints: its uploads' outcomes and its own event loop's worst delay. */
export interface ClientReport {
  outcomes: UploadOutcome[];
  /**
   * The client's own worst event-loop delay during the burst (ms): a starved load generator writes
   * its request late, and the server's headers timeout then counts against the server's figures.
   */
  loopDelayMaxMs: number;
}

/**
 * Opens ceil(uploads / 5) sessions as `user`, prints "ready", waits for "go", then sends every upload at
 * once and prints a ClientReport as one JSON line.
 */
export async function runBurstClient(url: string, imagePath: string, uploads: number, user: string) {
  const image = new Uint8Array(await readFile(imagePath));
  const headers = { user_id: user };
  const sessions: string[] = [];
  // On connections closed after each answer: a keep-alive socket left from here would be closed by
  // the server's keep-alive timeout just as the burst reuses it (EPIPE, no answer, not the server's doing).
  for (let i = 0; i < Math.ceil(uploads / 5); i++) sessions.push(await openSession(url, user));
  // One multipart body, built once and shared: undici's FormData serialization of 25 bodies of 6.9 MB
  // blocked this event loop for 14.6 s, long enough for the server's 10 s headers timeout to close
  // sockets whose request this client had not yet written.
  const boundary = 'face-encode-burst-boundary';
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="burst.jpg"\r\n` +
        'Content-Type: image/jpeg\r\n\r\n',
    ),
    image,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  console.log('ready');
  await nextLine();
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  const outcomes = await Promise.all(
    Array.from({ length: uploads }, async (_, i): Promise<UploadOutcome> => {
      const t = performance.now();
      try {
        const res = await fetch(`${url}/v1/image/${sessions[Math.floor(i / 5)]}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
          body,
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
  delay.disable();
  const report: ClientReport = { outcomes, loopDelayMaxMs: delay.max / 1e6 };
  console.log(JSON.stringify(report));
}

/**
 * Times GET /healthz every 50 ms until "stop" on stdin, then prints the latencies (ms), the failures and
 * its own worst event-loop delay as one JSON line.
 */
export async function runHealthProbe(url: string) {
  const latencies: number[] = [];
  let failures = 0;
  let stopped = false;
  void nextLine().then(() => (stopped = true));
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
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
  delay.disable();
  // The prober's own worst event-loop delay (ms): a probe it sends late is not the server's delay.
  console.log(JSON.stringify({ latencies, failures, loopDelayMaxMs: delay.max / 1e6 }));
}
