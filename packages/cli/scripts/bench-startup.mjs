// Measures `face-encode --help` wall time (process spawn to exit) over 20 runs; prints p50 and p95.
// Run after `npx tsup` in packages/cli; `pnpm bench` at the root runs it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
if (!existsSync(bin)) {
  console.error(`${bin} is missing: build the CLI first (npx tsup in packages/cli).`);
  process.exit(1);
}
const runs = Number(process.argv[2] ?? 20);
const args = process.argv.slice(3).length ? process.argv.slice(3) : ['--help'];

function time(argv) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

time([bin, ...args]); // warm the file cache
const samples = Array.from({ length: runs }, () => time([bin, ...args])).sort((a, b) => a - b);
const baseline = Array.from({ length: runs }, () => time(['-e', ''])).sort((a, b) => a - b);

console.log(`| command | runs | p50 (ms) | p95 (ms) |`);
console.log(`| --- | --- | --- | --- |`);
console.log(
  `| face-encode ${args.join(' ')} | ${runs} | ${percentile(samples, 50).toFixed(1)} | ${percentile(samples, 95).toFixed(1)} |`,
);
console.log(
  `| node -e '' (baseline) | ${runs} | ${percentile(baseline, 50).toFixed(1)} | ${percentile(baseline, 95).toFixed(1)} |`,
);
console.log('');
