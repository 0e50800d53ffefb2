/**
 * The OpenAPI document as generated clients read it: every operation named and every answer
 * described, one schema per shape, the headers the service requires marked required. Built from the
 * app itself (no database needed), as `npm run openapi` builds the committed file.
 */
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDb } from '../../src/db/create-db.js';

interface Operation {
  operationId?: string;
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description?: string; headers?: Record<string, { required?: boolean; schema?: Record<string, unknown> }> }>;
}
interface Document {
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

async function documentOf(env: Record<string, string> = {}): Promise<Document> {
  const db = createDb({ url: 'postgres://unused@127.0.0.1:1/unused' });
  const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', ...env }), db });
  try {
    await app.ready();
    // A copy: the tests below must not change the document the app serves.
    return JSON.parse(JSON.stringify(app.swagger())) as Document;
  } finally {
    await app.close();
    await db.destroy();
  }
}

const operations = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ what: `${method.toUpperCase()} ${path}`, op })));

t.test('every operation has a unique camelCase operationId', async (t) => {
  const doc = await documentOf();
  const ops = operations(doc);
  t.ok(ops.length >= 40, `${ops.length} operations`);
  const seen = new Map<string, string>();
  for (const { what, op } of ops) {
    t.match(op.operationId, /^[a-z][A-Za-z0-9]*$/, `${what} has a camelCase operationId (${op.operationId ?? 'none'})`);
    if (op.operationId === undefined) continue;
    t.equal(seen.get(op.operationId), undefined, `${op.operationId} names ${what} only`);
    seen.set(op.operationId, what);
  }
  t.equal(doc.paths['/v1/procedures/{id}/scans']?.post?.operationId, 'recordScan');
  t.equal(doc.paths['/v1/recalls/{id}']?.get?.operationId, 'getRecall');
  t.equal(doc.paths['/v1/recalls']?.get?.operationId, 'listRecalls');
});

t.test('every response of every operation is described', async (t) => {
  const doc = await documentOf();
  const undescribed = operations(doc).flatMap(({ what, op }) =>
    Object.entries(op.responses)
      .filter(([, r]) => !r.description || r.description === 'Default Response')
      .map(([status]) => `${what} ${status}`),
  );
  t.same(undescribed, [], 'no response without a description, none with @fastify/swagger\'s placeholder');
});

t.test('one schema per shape: every component schema is used, none is an Input twin of another', async (t) => {
  const doc = await documentOf();
  const names = Object.keys(doc.components.schemas);
  t.ok(names.includes('Problem') && names.includes('RecordScanBody') && names.includes('ScanResult'));
  t.same(names.filter((n) => n.endsWith('Input') && names.includes(n.slice(0, -5))), [], 'no X and XInput pairs');
  const text = JSON.stringify(doc);
  t.same(names.filter((n) => !text.includes(`"#/components/schemas/${n}"`)), [], 'every schema is referenced');
});

t.test('servers: / by default, PUBLIC_BASE_URL when set', async (t) => {
  t.same((await documentOf()).servers?.map((s) => s.url), ['/']);
  t.same((await documentOf({ PUBLIC_BASE_URL: 'https://implants.example.nhs.uk/trace/' })).servers?.map((s) => s.url), ['https://implants.example.nhs.uk/trace']);
});

t.test('every 201 answer declares its Location, required', async (t) => {
  const doc = await documentOf();
  const created = operations(doc).filter(({ op }) => op.responses['201']);
  t.ok(created.length >= 9, `${created.length} operations answer 201`);
  for (const { what, op } of created) {
    const location = op.responses['201']?.headers?.Location;
    t.equal(location?.required, true, `${what}: Location is required`);
    t.same(location?.schema, { type: 'string', format: 'uri' }, `${what}: Location is a URI`);
  }
});

t.test('headers the service refuses to go without are required', async (t) => {
  const doc = await documentOf();
  const header = (path: string, method: string, name: string) => doc.paths[path]?.[method]?.parameters?.find((p) => p.in === 'header' && p.name === name);
  t.equal(header('/v1/procedures/{id}/scans', 'post', 'idempotency-key')?.required, true, 'Idempotency-Key on a scan (400 IDEMPOTENCY_KEY_MISSING)');
  t.equal(header('/fhir/R4/Group/{registry}/$export', 'get', 'prefer')?.required, true, 'Prefer on a Bulk Data kick-off (400 PREFER_ASYNC_REQUIRED)');
  t.equal(header('/v1/procedures', 'post', 'idempotency-key')?.required, false, 'recommended, not required, when opening a procedure');
});

t.test('exactly one of several shapes is a oneOf: a scan is a barcode scan or a manual entry', async (t) => {
  const doc = await documentOf();
  const schemas = doc.components.schemas;
  t.same(doc.paths['/v1/procedures/{id}/scans']?.post?.requestBody?.content['application/json']?.schema, { $ref: '#/components/schemas/RecordScanBody' });
  t.same(schemas.RecordScanBody?.oneOf, [{ $ref: '#/components/schemas/BarcodeScanBody' }, { $ref: '#/components/schemas/ManualScanBody' }]);
  t.same(schemas.BarcodeScanBody?.required, ['barcode']);
  t.same(schemas.ManualScanBody?.required, ['manual']);
  t.equal(schemas.BarcodeScanBody?.additionalProperties, false, 'each shape is closed, so no body is both');
  const procedure = schemas.CreateProcedureBody?.properties as Record<string, { oneOf?: unknown[] }>;
  t.equal(procedure.location?.oneOf?.length, 2, 'a place: a GLN or its label');
  t.equal(procedure.clinician?.oneOf?.length, 3, 'a clinician: a GSRN, a badge or a local id');
});
