// Fails when regenerating the SDK types from the OpenAPI document changes the committed file.
import { execFileSync } from 'node:child_process';

const targets = ['packages/sdk/src/generated', 'packages/server/src/generated'];
// The same commands as `pnpm generate`, run directly so this works with or without pnpm on PATH.
const generator = 'packages/sdk/scripts/generate.mjs';
execFileSync(process.execPath, [generator], { stdio: 'inherit' });
execFileSync(process.execPath, [generator, '--out', 'packages/server/src/generated/openapi.ts'], {
  stdio: 'inherit',
});
const drift = execFileSync('git', ['status', '--porcelain', '--', ...targets], { encoding: 'utf8' });
if (drift.trim()) {
  console.error(`Generated types are out of date with openapi/face-encode.yaml:\n${drift}`);
  console.error('Run `pnpm generate` and commit the result.');
  process.exit(1);
}
console.log('Generated SDK and server types are in sync with openapi/face-encode.yaml.');
