// Fails when the browser bundle of the main entry (minified, gzipped) is over 10 kB.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const LIMIT_BYTES = 10_240;
const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const result = await build({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  write: false,
  logLevel: 'silent',
});
const code = result.outputFiles[0].contents;
if (/["']node:/.test(new TextDecoder().decode(code))) {
  console.error('check:size: the browser bundle imports a node: module');
  process.exit(1);
}
const gzipped = gzipSync(code, { level: 9 }).length;
console.log(`main entry: ${code.length} B minified, ${gzipped} B min+gzip (limit ${LIMIT_BYTES} B)`);
if (gzipped > LIMIT_BYTES) {
  console.error('check:size: the main entry is over the size budget');
  process.exit(1);
}
