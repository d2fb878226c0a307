// Measures `face-encode --help` and `--version` wall time (process spawn to exit) against bare `node -e ''`;
// prints p50 and p95. Usage: node bench-startup.mjs [runs=20] [args...] (args: bench only that command line).
// Run after `npx tsup` in packages/cli; `pnpm bench` at the root runs it.
// The commands run in interleaved rounds, so load from other processes on a shared machine hits all of them alike.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
if (!existsSync(bin)) {
  console.error(`${bin} is missing: build the CLI first (npx tsup in packages/cli).`);
  process.exit(1);
}
const runs = Number(process.argv[2] ?? 20);
const cliArgs = process.argv.slice(3).length ? [process.argv.slice(3)] : [['--help'], ['--version']];
const commands = [
  ...cliArgs.map((args) => ({ label: `face-encode ${args.join(' ')}`, argv: [bin, ...args] })),
  { label: "node -e '' (baseline)", argv: ['-e', ''] },
];

function time(argv) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

for (const { argv } of commands) time(argv); // warm the file cache
const samples = commands.map(() => []);
for (let round = 0; round < runs; round++) {
  commands.forEach(({ argv }, i) => samples[i].push(time(argv)));
}

console.log(`| command | runs | p50 (ms) | p95 (ms) |`);
console.log(`| --- | --- | --- | --- |`);
commands.forEach(({ label }, i) => {
  const sorted = samples[i].sort((a, b) => a - b);
  console.log(
    `| ${label} | ${runs} | ${percentile(sorted, 50).toFixed(1)} | ${percentile(sorted, 95).toFixed(1)} |`,
  );
});
console.log('');
