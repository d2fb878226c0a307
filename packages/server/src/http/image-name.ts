/**
 * A display name only: control characters, path separators and traversal are removed, whitespace
 * is collapsed, and the result is cut to 255 characters. It is never used to build a path.
 */
export function sanitizeImageName(raw: string | undefined | null): string | null {
  if (raw == null) return null;
  const cleaned = raw
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[\\/]/g, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '');
  return cleaned ? [...cleaned].slice(0, 255).join('') : null;
}
