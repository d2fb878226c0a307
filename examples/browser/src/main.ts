// Picks a photo (or, with ?sample=<path>, fetches one from this origin), uploads it with the SDK
// and renders the session summary. `?server=<url>` points the page at a server; `?user=<id>` names
// the demo user; `?direct=1` ticks the direct-upload switch (reserve, PUT to storage, complete).
import { createFaceEncodeClient, FaceEncodeError, type SessionSummary } from '@face-encode/sdk';

const params = new URLSearchParams(location.search);
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const serverInput = $<HTMLInputElement>('server');
const statusLine = $('status');
const errorLine = $('error');
const output = $('summary');
const directBox = $<HTMLInputElement>('direct');
const progressBar = $<HTMLProgressElement>('progress');
const progressText = $('progress-text');
serverInput.value = params.get('server') ?? serverInput.value;
directBox.checked = params.get('direct') === '1';

/** Direct uploads only: the browser reports the bytes sent to storage (XMLHttpRequest upload events). */
function showProgress(sent: number, total: number): void {
  progressBar.hidden = false;
  progressBar.max = total;
  progressBar.value = sent;
  progressText.textContent = `${sent} of ${total} bytes sent`;
  progressText.dataset.sent = String(sent);
  progressText.dataset.total = String(total);
}

/** The summary without the 128 numbers per face, which are long and identify a person. */
function redact(summary: SessionSummary): unknown {
  return {
    ...summary,
    images: summary.images.map((image) => ({
      ...image,
      faces: image.faces.map(({ encoding, ...face }) => ({
        ...face,
        encoding: `[${encoding.length} numbers]`,
      })),
    })),
  };
}

async function run(file: Blob, name: string): Promise<void> {
  const client = createFaceEncodeClient({
    baseUrl: serverInput.value,
    userId: params.get('user') ?? 'browser-demo',
  });
  errorLine.textContent = '';
  document.body.dataset.state = 'working';
  try {
    const summary = await client.encode([{ input: file, imageName: name }], {
      direct: directBox.checked,
      onUploadProgress: (_index, sent, total) => showProgress(sent, total),
      onProgress: (s) =>
        (statusLine.textContent = `Session ${s.status}: ${s.images.map((i) => i.status).join(', ')}`),
    });
    statusLine.textContent = `Session ${summary.status}: ${summary.summary.faces_total} face(s).`;
    output.textContent = JSON.stringify(redact(summary), null, 2);
    document.body.dataset.state = 'done';
  } catch (error) {
    const detail =
      error instanceof FaceEncodeError ? `${error.name} (${error.code}): ${error.message}` : String(error);
    errorLine.textContent = detail;
    document.body.dataset.state = 'error';
  }
}

$<HTMLInputElement>('photo').addEventListener('change', (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file) void run(file, file.name);
});

const sample = params.get('sample');
if (sample) {
  void fetch(sample)
    .then((res) => res.blob())
    .then((blob) => run(blob, sample.split('/').pop() ?? 'sample.jpg'));
}
