import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

const spec = parse(readFileSync(new URL('../../../../openapi/face-encode.yaml', import.meta.url), 'utf8'));
// Response schemas only drive serialization in the server; tests check the shapes for real.
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema({ $id: 'face-encode', components: spec.components });

export const openApiSpec = spec as {
  paths: Record<string, Record<string, { operationId: string }>>;
  components: { schemas: Record<string, unknown> };
};

/** Throws with ajv's messages unless `value` matches components.schemas[name]. */
export function expectSchema(name: string, value: unknown): void {
  const validate = ajv.getSchema(`face-encode#/components/schemas/${name}`);
  if (!validate) throw new Error(`No schema ${name}`);
  if (!validate(value)) {
    throw new Error(
      `${name} does not match the spec: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 500)}`,
    );
  }
}
