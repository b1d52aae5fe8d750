import { Ajv } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';

/**
 * An ajv instance for the schema checks in tests (Grafana's OpenAPI, the Compose specification).
 * ajv-formats is CommonJS with `exports.default`: under NodeNext its default import is the module
 * object, so take `.default` when it is there.
 */
const addFormats: FormatsPlugin =
  (addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  (addFormatsModule as unknown as FormatsPlugin);

export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  // OpenAPI's numeric formats say nothing JSON Schema can check beyond `type`.
  for (const f of ['int64', 'int32', 'uint8', 'uint16', 'uint32', 'double', 'float']) ajv.addFormat(f, true);
  return ajv;
}
