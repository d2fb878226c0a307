import type { Image, Session, SessionSummary } from '@face-encode/sdk/node';
import type { Output } from './output.js';

const fixed = (n: number, digits = 2) => n.toFixed(digits);

/** Which face of each image the server's verdict and distances use (its `faces[0]`, largest first). */
export const COMPARED_FACE = 'largest';

/** The faces of one image, in one line per face. */
function imageLines(out: Output, image: Image, index: number, label: string): string[] {
  const head = `${index + 1}. ${out.style('bold', label)}`;
  if (image.status === 'failed') {
    return [
      `${head}  ${out.style('red', 'failed')}: ${image.error?.message ?? 'unknown error'}${image.error ? ` (${image.error.code})` : ''}`,
    ];
  }
  if (image.status !== 'done') return [`${head}  ${image.status}`];
  if (image.faces.length === 0) return [`${head}  ${out.style('yellow', 'no face found')}`];
  const lines = [`${head}  ${image.faces.length} face${image.faces.length === 1 ? '' : 's'}`];
  image.faces.forEach((face, i) => {
    const q = face.quality;
    lines.push(
      `     face ${i + 1}: score ${fixed(face.score)}, ${Math.round(q.face_px)} px, brightness ${fixed(q.brightness)}, ` +
        `sharpness ${fixed(q.sharpness, 1)}, yaw ${Math.round(q.yaw)}°, roll ${Math.round(q.roll)}°`,
    );
  });
  return lines;
}

/** The verdict and the distance matrix of a summary. */
function verdictLines(
  out: Output,
  summary: SessionSummary['summary'],
  numbers: Map<string, number>,
): string[] {
  const lines: string[] = [];
  if (summary.same_person === null) {
    lines.push(
      `Same person: ${out.style('yellow', 'unknown')}${summary.verdict_reason ? ` (${summary.verdict_reason})` : ''}`,
    );
  } else {
    const verdict = summary.same_person ? out.style('green', 'yes') : out.style('red', 'no');
    const max =
      summary.max_distance === null
        ? ''
        : ` (max distance ${fixed(summary.max_distance, 3)}, threshold ${fixed(summary.threshold, 2)})`;
    lines.push(`Same person: ${verdict}${max}, comparing the largest face of each image`);
  }
  const ids = summary.distance_image_ids;
  if (ids.length >= 2) {
    // Rows and columns by image number (as listed above), so long paths do not break the table.
    const names = ids.map((id) => (numbers.has(id) ? `#${numbers.get(id)}` : id.slice(0, 8)));
    const width = Math.max(6, ...names.map((n) => n.length)) + 2;
    lines.push('Distances:');
    lines.push(`${' '.repeat(width)}${names.map((n) => n.padStart(width)).join('')}`);
    summary.distances.forEach((row, i) => {
      lines.push(`${(names[i] ?? '').padEnd(width)}${row.map((d) => fixed(d, 3).padStart(width)).join('')}`);
    });
  }
  return lines;
}

/** The human summary of a session: per image the faces and their quality, then the verdict. */
export function formatSummary(
  out: Output,
  session: SessionSummary,
  fileNames?: Map<string, string>,
): string[] {
  const labels = new Map<string, string>();
  session.images.forEach((image, i) =>
    labels.set(image.image_id, fileNames?.get(image.image_id) ?? image.image_name ?? `image ${i + 1}`),
  );
  const lines = [
    `Session ${session.session_id}  ${session.status}, ${session.image_count}/${session.max_images} images, expires ${session.expires_at}`,
  ];
  if (session.vendor_data) lines.push(`Vendor data: ${session.vendor_data}`);
  if (session.webhook)
    lines.push(`Webhook: ${session.webhook.status} after ${session.webhook.attempts} attempt(s)`);
  if (session.images.length > 0) lines.push('');
  session.images.forEach((image, i) =>
    lines.push(...imageLines(out, image, i, labels.get(image.image_id) ?? '')),
  );
  lines.push('');
  const numbers = new Map(session.images.map((image, i) => [image.image_id, i + 1]));
  lines.push(...verdictLines(out, session.summary, numbers));
  return lines;
}

const row = (id: string, status: string, images: string, created: string, vendor: string) =>
  `${id.padEnd(36)}  ${status.padEnd(10)}  ${images.padEnd(6)}  ${created.padEnd(24)}  ${vendor}`.trimEnd();

/** The column headers of the `session list` table, aligned with {@link formatSessionRow}. */
export function formatSessionHeader(): string {
  return row('SESSION', 'STATUS', 'IMAGES', 'CREATED', 'VENDOR DATA');
}

/** One line per session for `session list`. */
export function formatSessionRow(session: Session): string {
  return row(
    session.session_id,
    session.status,
    `${session.image_count}/${session.max_images}`,
    session.created_at,
    session.vendor_data ?? '',
  );
}

/** Removes encodings (they identify people) unless they were asked for. */
export function withoutEncodings<T extends { images: Image[] }>(value: T, keep: boolean): T {
  if (keep) return value;
  return {
    ...value,
    images: value.images.map((image) => ({
      ...image,
      faces: image.faces.map(({ encoding: _encoding, ...face }) => face),
    })),
  };
}

/** An image with encodings removed unless asked for. */
export function imageWithoutEncodings(image: Image, keep: boolean): Image {
  return keep
    ? image
    : ({ ...image, faces: image.faces.map(({ encoding: _encoding, ...face }) => face) } as Image);
}
