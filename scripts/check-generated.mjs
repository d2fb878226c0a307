// Fails when regenerating the SDK types from the OpenAPI document changes the committed file.
import { execFileSync } from 'node:child_process';

const target = 'packages/sdk/src/generated';
execFileSync('pnpm', ['generate'], { stdio: 'inherit' });
const drift = execFileSync('git', ['status', '--porcelain', '--', target], { encoding: 'utf8' });
if (drift.trim()) {
  console.error(`Generated SDK types are out of date with openapi/face-encode.yaml:\n${drift}`);
  console.error('Run `pnpm generate` and commit the result.');
  process.exit(1);
}
console.log('Generated SDK types are in sync with openapi/face-encode.yaml.');
