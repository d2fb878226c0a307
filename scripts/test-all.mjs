// `pnpm test`: every check CI runs, in order, on a fresh clone. Each step stops the run on failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';

const steps = [
  ['OpenAPI lint', 'pnpm', ['lint:spec']],
  ['Generated SDK types in sync', 'node', ['scripts/check-generated.mjs']],
  ['Build', 'pnpm', ['build']],
  ['Lint, format, typecheck', 'pnpm', ['lint']],
  ['SDK package checks (publint, attw, size)', 'pnpm', ['--filter', '@face-encode/sdk', 'check:package']],
  ['SDK browser bundle size', 'pnpm', ['--filter', '@face-encode/sdk', 'check:size']],
];

function run(title, cmd, args) {
  console.log(`\n▶ ${title}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`✖ ${title} failed (exit ${r.status ?? r.signal}).`);
    process.exit(r.status || 1);
  }
}

for (const [title, cmd, args] of steps) run(title, cmd, args);

// The browser test needs Debian's Chromium; install it when we are root on Debian and it is missing.
if (!existsSync('/usr/bin/chromium') && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
  console.log('\n▶ Installing Chromium for the browser test (apt-get)');
  try {
    execFileSync(
      'sh',
      [
        '-c',
        'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null',
      ],
      {
        stdio: 'inherit',
      },
    );
  } catch {
    console.warn('Chromium could not be installed; the browser test will say it was skipped.');
  }
}

// The S3 tests run against Debian's radosgw; install it when we are root on Debian and it is missing.
if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
  try {
    execFileSync('sh', ['scripts/install-ceph.sh'], { stdio: 'inherit' });
  } catch {
    console.warn(
      'radosgw could not be installed; the S3 tests will fail when CI is set and be skipped otherwise.',
    );
  }
}

// The PostgreSQL and Redis tests talk to the machine's servers; start them when they are stopped.
execFileSync('sh', ['scripts/start-services.sh'], { stdio: 'inherit' });

mkdirSync('.tmp', { recursive: true });
const report = '.tmp/vitest-report.json';
console.log('\n▶ Tests: vitest run');
const r = spawnSync(
  'pnpm',
  ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
  {
    stdio: 'inherit',
  },
);
let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed = json.numPassedTests;
  failed = json.numFailedTests;
  skipped = json.numPendingTests + json.numTodoTests;
}
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (r.status !== 0 || failed > 0 || passed === 0) process.exit(r.status || 1);
