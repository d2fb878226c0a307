// `pnpm bench`: the encode pipeline and API benchmarks (server), the API hot path against bare Fastify, the cluster against the embedded server, and
// CLI start-up time.
// Results are recorded by hand in BENCHMARKS.md with the machine they ran on.
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus, totalmem } from 'node:os';

console.log(
  `# face-encode benchmarks\n\nmachine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}\n`,
);
for (const [title, args] of [
  ['Server: encode pipeline and API', ['packages/server/dist/bench.js']],
  ['Server: API hot path against a bare Fastify route (wrk)', ['packages/server/dist/bench-api.js']],
  [
    'Server: cluster (PostgreSQL, Redis, radosgw) against embedded',
    ['packages/server/dist/bench-cluster.js'],
  ],
  ['Server: direct uploads against uploads through the API', ['packages/server/dist/bench-direct.js']],
  ['CLI: start-up', ['packages/cli/scripts/bench-startup.mjs']],
]) {
  console.log(`## ${title}\n`);
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);
}
