// The load the HTTP benchmarks send: uploads with `?wait=30` into sessions of up to 5 images, a fixed number in
// flight, spread round-robin over the API URLs. Each upload's time is upload → result: the response of a
// `?wait=` upload is the encoded image.

export interface UploadLoadOptions {
  /** API processes to spread the requests over, in turn. */
  urls: string[];
  image: Buffer;
  uploads: number;
  /** Images per session (the API allows at most 5). */
  sessionSize: number;
  /** Uploads in flight at once. */
  concurrency: number;
}

export interface UploadLoadResult {
  /** Upload → result of each upload, in ms. */
  latencies: number[];
  /** From the first upload's start to the last one's result, in ms. */
  wallMs: number;
}

const headers = { user_id: 'bench' };

export async function runUploadLoad(o: UploadLoadOptions): Promise<UploadLoadResult> {
  const url = (i: number) => o.urls[i % o.urls.length] as string;
  // Sessions are opened first, so the timings are the uploads' alone.
  const sessions = await Promise.all(
    Array.from({ length: Math.ceil(o.uploads / o.sessionSize) }, (_, i) => openSession(url(i))),
  );
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const client = async () => {
    for (let i = next++; i < o.uploads; i = next++) {
      const session = sessions[Math.floor(i / o.sessionSize)] as string;
      const t = performance.now();
      await uploadAndWait(url(i), session, o.image);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, client));
  return { latencies, wallMs: performance.now() - started };
}

/** POSTs an empty session as `as` (demo auth by default) and returns its id. */
export async function openSession(url: string, as: Record<string, string> = headers): Promise<string> {
  const res = await fetch(`${url}/v1/session`, {
    method: 'POST',
    headers: { ...as, 'content-type': 'application/json' },
    body: '{}',
  });
  if (res.status !== 201) throw new Error(`POST /v1/session answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { session_id: string }).session_id;
}

async function uploadAndWait(url: string, sessionId: string, image: Buffer): Promise<void> {
  const form = new FormData();
  form.set('file', new Blob([new Uint8Array(image)]), 'selfie.jpg');
  const res = await fetch(`${url}/v1/image/${sessionId}?wait=30`, { method: 'POST', headers, body: form });
  const body = (await res.json()) as { status?: string; faces?: unknown[] };
  // A figure is only worth printing if every image was really encoded.
  if (res.status !== 201 || body.status !== 'done' || body.faces?.length !== 1)
    throw new Error(`upload ended ${res.status} ${body.status ?? JSON.stringify(body)}`);
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
