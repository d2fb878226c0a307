/**
 * A PNG without its metadata, rewritten chunk by chunk: the compressed image data (IDAT) is copied as
 * is, so the pixels are exactly the upload's and the result is never larger than it (a re-encode at a
 * light zlib level could be larger, and expands palette images). Kept: the critical chunks,
 * transparency and the colour chunks. Dropped: eXIf, text (tEXt, zTXt, iTXt: XMP lives there), tIME,
 * APNG's frames (decoders read the default image) and every other ancillary chunk, and anything after
 * IEND. Null when the file is not a PNG this can walk; the caller then re-encodes.
 */
const KEPT = new Set([
  'IHDR',
  'PLTE',
  'IDAT',
  'IEND',
  'tRNS',
  'gAMA',
  'cHRM',
  'sRGB',
  'iCCP',
  'sBIT',
  'cICP',
]);

export function stripPngMetadata(bytes: Uint8Array): Buffer | null {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.length < 8) return null;
  const out: Uint8Array[] = [view.subarray(0, 8)];
  let i = 8;
  let first = true;
  while (i + 12 <= view.length) {
    const length = view.readUInt32BE(i);
    const type = view.toString('latin1', i + 4, i + 8);
    const end = i + 12 + length;
    if (end > view.length || (first && type !== 'IHDR')) return null;
    first = false;
    // An unknown critical chunk (upper-case first letter) cannot be dropped safely.
    const critical = type.charCodeAt(0) < 0x61;
    if (KEPT.has(type)) out.push(view.subarray(i, end));
    else if (critical) return null;
    if (type === 'IEND') return Buffer.concat(out);
    i = end;
  }
  return null;
}
