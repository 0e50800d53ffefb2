/**
 * The finishing of the generated OpenAPI document, as plain functions over its JSON
 * (no Fastify, no zod), so that what they do can be read and tested on their own.
 */

const SCHEMA_REF = '#/components/schemas/';

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The names of the component schemas a JSON value refers to by `$ref`. */
function schemaRefs(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) schemaRefs(v, into);
  } else if (isObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string' && v.startsWith(SCHEMA_REF)) into.add(v.slice(SCHEMA_REF.length));
      else schemaRefs(v, into);
    }
  }
  return into;
}

/** Every schema reachable from `roots`, following `$ref`s through the component schemas. */
function closure(roots: Iterable<string>, schemas: Readonly<Record<string, unknown>>): Set<string> {
  const seen = new Set<string>();
  const todo = [...roots];
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    if (seen.has(name) || !(name in schemas)) continue;
    seen.add(name);
    todo.push(...schemaRefs(schemas[name]));
  }
  return seen;
}

/** A copy of a JSON value with its component `$ref`s renamed. */
function renameRefs<T>(value: T, rename: ReadonlyMap<string, string>): T {
  if (Array.isArray(value)) return value.map((v: unknown) => renameRefs(v, rename)) as T;
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === '$ref' && typeof v === 'string' && v.startsWith(SCHEMA_REF)) {
      const name = v.slice(SCHEMA_REF.length);
      out[key] = `${SCHEMA_REF}${rename.get(name) ?? name}`;
    } else {
      out[key] = renameRefs(v, rename);
    }
  }
  return out as T;
}

/** Where the operations of a document use schemas: request bodies and parameters, or responses. */
function operationRoots(paths: unknown): { requests: Set<string>; responses: Set<string> } {
  const requests = new Set<string>();
  const responses = new Set<string>();
  for (const item of Object.values(isObject(paths) ? paths : {})) {
    for (const operation of Object.values(isObject(item) ? item : {})) {
      if (!isObject(operation)) continue;
      schemaRefs(operation.requestBody, requests);
      schemaRefs(operation.parameters, requests);
      schemaRefs(operation.responses, responses);
    }
  }
  return { requests, responses };
}

/**
 * One component schema per shape. fastify-type-provider-zod emits every registered schema twice, as it
 * reads in a request (`XInput`) and as it is written in a response (`X`), whatever the routes use; no
 * option of it emits only what is referenced (7.0.0). Here: schemas no operation reaches are dropped; an
 * `XInput` takes the name `X` when `X` is not used, or is merged into `X` when the two are the same JSON.
 * Both stay only when the shapes differ (a field with a default is optional in, always present out).
 */
function oneSchemaPerShape(doc: JsonObject): JsonObject {
  const components = isObject(doc.components) ? doc.components : {};
  const schemas = isObject(components.schemas) ? components.schemas : {};
  const { requests, responses } = operationRoots(doc.paths);
  const otherComponents = Object.fromEntries(Object.entries(components).filter(([key]) => key !== 'schemas'));
  const used = closure([...requests, ...responses, ...schemaRefs({ ...doc, components: otherComponents })], schemas);

  const rename = new Map<string, string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const name of used) {
      const base = name.endsWith('Input') ? name.slice(0, -'Input'.length) : undefined;
      if (base === undefined || rename.has(name)) continue;
      const same = used.has(base) && JSON.stringify(renameRefs(schemas[name], rename)) === JSON.stringify(renameRefs(schemas[base], rename));
      if (!used.has(base) || same) {
        rename.set(name, base);
        changed = true;
      }
    }
  }

  const kept: JsonObject = {};
  for (const name of [...used].sort()) {
    if (rename.has(name) && used.has(rename.get(name) ?? '')) continue; // merged into its twin
    kept[rename.get(name) ?? name] = renameRefs(schemas[name], rename);
  }
  const sorted = Object.fromEntries(Object.entries(kept).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return renameRefs({ ...doc, components: { ...components, schemas: sorted } }, rename);
}

/**
 * Defaults of request-only component schemas, written in words. openapi-typescript (7.x, default
 * options) types a property that has a `default` as always present unless the schema sits inline in a
 * request body; a `$ref`'d request body would then demand every defaulted field
 * (openapi-ts/openapi-typescript#1903, #2012). The request schemas stay exact: the field is not
 * `required`, and the description says what the service assumes when it is left out.
 */
function defaultsInWords(doc: JsonObject): JsonObject {
  const components = isObject(doc.components) ? doc.components : {};
  const schemas = isObject(components.schemas) ? components.schemas : {};
  const { requests, responses } = operationRoots(doc.paths);
  const responseSide = closure(responses, schemas);
  const requestOnly = [...closure(requests, schemas)].filter((name) => !responseSide.has(name));

  const rewrite = (schema: unknown): unknown => {
    if (Array.isArray(schema)) return schema.map(rewrite);
    if (!isObject(schema)) return schema;
    const out: JsonObject = {};
    for (const [key, v] of Object.entries(schema)) {
      if (key === 'properties' && isObject(v)) {
        out[key] = Object.fromEntries(Object.entries(v).map(([name, property]) => [name, withoutDefault(rewrite(property))]));
      } else if (key === 'items' || key === 'additionalProperties' || key === 'anyOf' || key === 'oneOf' || key === 'allOf') {
        out[key] = rewrite(v);
      } else {
        out[key] = v;
      }
    }
    return out;
  };
  const rewritten = { ...schemas };
  for (const name of requestOnly) rewritten[name] = rewrite(schemas[name]);
  return { ...doc, components: { ...components, schemas: rewritten } };
}

function withoutDefault(property: unknown): unknown {
  if (!isObject(property) || !('default' in property)) return property;
  const { default: value, ...rest } = property;
  const said = `Default: \`${typeof value === 'string' ? value : JSON.stringify(value)}\`.`;
  return { ...rest, description: typeof rest.description === 'string' ? `${rest.description} ${said}` : said };
}

/**
 * A response header's `required` in its place. @fastify/swagger copies a route's response header
 * declaration whole into the header's `schema`; `required: true` belongs to the header object.
 */
function responseHeadersInPlace(doc: JsonObject): JsonObject {
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const item of Object.values(paths)) {
    for (const operation of Object.values(isObject(item) ? item : {})) {
      const responses = isObject(operation) && isObject(operation.responses) ? operation.responses : {};
      for (const response of Object.values(responses)) {
        const headers = isObject(response) && isObject(response.headers) ? response.headers : {};
        for (const header of Object.values(headers)) {
          if (!isObject(header) || !isObject(header.schema) || header.schema.required !== true) continue;
          const schema = { ...header.schema };
          delete schema.required;
          header.schema = schema;
          header.required = true;
        }
      }
    }
  }
  return doc;
}

/** The document as clients and linters read it; see each step. */
export function finishDocument<T extends object>(doc: T): T {
  return responseHeadersInPlace(defaultsInWords(oneSchemaPerShape(doc as JsonObject))) as T;
}
