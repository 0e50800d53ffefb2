/**
 * A client generated from the committed OpenAPI document, as a team integrating with the service
 * would make one: types by openapi-typescript (default options), calls by openapi-fetch. A small
 * client program is type-checked against the generated types with the TypeScript compiler (strict;
 * its `@ts-expect-error` lines prove the types refuse what the service refuses), then run against the
 * real service listening on a port: open a procedure, record a scan, read the procedure back, create
 * and list recalls, and read a problem+json error through its typed shape.
 */
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import t from 'tap';
import ts from 'typescript';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { GTIN, nhsNumber } from '../helpers/theatre.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCUMENT = path.join(ROOT, 'openapi', 'openapi.json');

/** The client program: what an integrator writes against the generated `paths` and `components`. */
const CLIENT_PROGRAM = `
import createClient from 'openapi-fetch';
import type { components, paths } from './api.js';

type Problem = components['schemas']['Problem'];

export interface Input {
  readonly baseUrl: string;
  readonly scannerKey: string;
  readonly procurementKey: string;
  readonly nhsNumber: string;
  readonly barcode: string;
  readonly gtin: string;
  readonly idempotencyKey: string;
}

export async function run(input: Input) {
  const scanner = createClient<paths>({ baseUrl: input.baseUrl, headers: { authorization: \`Bearer \${input.scannerKey}\` } });
  const procurement = createClient<paths>({ baseUrl: input.baseUrl, headers: { authorization: \`Bearer \${input.procurementKey}\` } });

  const opened = await scanner.POST('/v1/procedures', { body: { patient: { nhsNumber: input.nhsNumber }, side: 'left' } });
  if (opened.data === undefined) throw new Error(\`createProcedure: \${opened.response.status}\`);
  const procedureId: string = opened.data.id;

  // No action: it has a default, so the request type leaves it out.
  const recorded = await scanner.POST('/v1/procedures/{id}/scans', {
    params: { path: { id: procedureId }, header: { 'idempotency-key': input.idempotencyKey } },
    body: { barcode: input.barcode },
  });
  if (recorded.data === undefined) throw new Error(\`recordScan: \${recorded.response.status}\`);
  const scanId: string = recorded.data.scan.id;
  const severities: Array<'critical' | 'warning' | 'info'> = recorded.data.warnings.map((w) => w.severity);

  const read = await scanner.GET('/v1/procedures/{id}', { params: { path: { id: procedureId } } });
  if (read.data === undefined) throw new Error(\`getProcedure: \${read.response.status}\`);
  const items = read.data.items.map((item) => ({ gtin: item.gtin, lotNumber: item.lotNumber, history: item.history.map((s) => s.id) }));

  const created = await procurement.POST('/v1/recalls', {
    body: { reference: 'FSN-CLIENT-1', title: 'Generated client', scope: [{ gtin: input.gtin, lots: [items[0]?.lotNumber ?? 'none'] }] },
  });
  if (created.data === undefined) throw new Error(\`createRecall: \${created.response.status}\`);
  const recalls = await procurement.GET('/v1/recalls', { params: { query: { limit: 10 } } });
  if (recalls.data === undefined) throw new Error(\`listRecalls: \${recalls.response.status}\`);

  // A limit the service refuses: the error is typed as the Problem schema.
  const refused = await procurement.GET('/v1/recalls', { params: { query: { limit: 0 } } });
  const problem: Problem | undefined = refused.error;
  const code: Problem['code'] | undefined = problem?.code;
  const pointers: string[] = problem?.errors?.map((e) => e.pointer) ?? [];

  return {
    procedureId,
    scan: { id: scanId, location: recorded.response.headers.get('location'), procedureId: recorded.data.scan.procedureId, severities },
    items,
    recall: { id: created.data.id, location: created.response.headers.get('location'), affected: created.data.counts.items },
    recalls: recalls.data.items.map((r) => ({ id: r.id, reference: r.reference })),
    problem: { status: refused.response.status, contentType: refused.response.headers.get('content-type'), code, title: problem?.title, pointers },
  };
}

/** Mistakes the generated types refuse: each line must fail to compile. Never called. */
export function mistakes(client: ReturnType<typeof createClient<paths>>, id: string) {
  // @ts-expect-error a scan needs its Idempotency-Key
  void client.POST('/v1/procedures/{id}/scans', { params: { path: { id } }, body: { barcode: 'x' } });
  // @ts-expect-error a scan is a barcode or a manual entry: one of them
  void client.POST('/v1/procedures/{id}/scans', { params: { path: { id }, header: { 'idempotency-key': 'k' } }, body: { action: 'implanted' } });
  // @ts-expect-error no such action
  void client.POST('/v1/procedures/{id}/scans', { params: { path: { id }, header: { 'idempotency-key': 'k' } }, body: { barcode: 'x', action: 'thrown' } });
  // @ts-expect-error problem codes are a closed set
  const code: Problem['code'] = 'NOT_A_CODE';
  // @ts-expect-error no such operation
  void client.GET('/v1/scans');
  return code;
}
`;

/** The compiler's complaints about a program, one line each. */
function diagnosticsOf(program: ts.Program): string[] {
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1} ` : '';
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

interface ClientResult {
  procedureId: string;
  scan: { id: string; location: string | null; procedureId: string; severities: string[] };
  items: Array<{ gtin: string | null; lotNumber: string | null; history: string[] }>;
  recall: { id: string; location: string | null; affected: number };
  recalls: Array<{ id: string; reference: string }>;
  problem: { status: number; contentType: string | null; code: string | undefined; title: string | undefined; pointers: string[] };
}

t.test('a client generated from openapi/openapi.json type-checks and talks to the service', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'implant-trace-client-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // The program resolves openapi-fetch (and the compiler its types) from this package's dependencies.
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));

  // Default options, as `npx openapi-typescript openapi/openapi.json` would generate. A .ts file, not a
  // .d.ts, so that the compiler checks the generated types too.
  const types = astToString(await openapiTS(pathToFileURL(DOCUMENT), { silent: true }));
  await writeFile(path.join(dir, 'api.ts'), types);
  await writeFile(path.join(dir, 'client.ts'), CLIENT_PROGRAM);
  t.match(types, /recordScan: \{/, 'operations are named by their operationId');

  const program = ts.createProgram([path.join(dir, 'client.ts')], {
    target: ts.ScriptTarget.ES2023,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noUncheckedIndexedAccess: true,
    noUnusedLocals: true,
    skipLibCheck: true,
    types: [],
    outDir: dir,
    rootDir: dir,
  });
  t.same(diagnosticsOf(program), [], 'the client program type-checks against the generated types, and each mistake is refused');
  const emitted = program.emit();
  t.equal(emitted.emitSkipped, false, 'compiled');

  const app = await buildTestApp(t);
  const org = await createOrganisationWithKeys(app, 'RCL');
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.app.server.address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;

  const client = (await import(pathToFileURL(path.join(dir, 'client.js')).href)) as { run: (input: object) => Promise<ClientResult> };
  const result = await client.run({
    baseUrl,
    scannerKey: org.keys.scanner,
    procurementKey: org.keys.procurement,
    nhsNumber: nhsNumber(9101),
    barcode: `01${GTIN}10LOT-CLIENT`,
    gtin: GTIN,
    idempotencyKey: 'client-scan-1',
  });

  t.equal(result.scan.procedureId, result.procedureId, 'recordScan: the scan belongs to the procedure');
  t.match(result.scan.location, new RegExp(`/v1/scans/${result.scan.id}$`), 'recordScan: Location of the scan');
  t.same(result.items.map((i) => [i.gtin, i.lotNumber]), [[GTIN, 'LOT-CLIENT']], 'getProcedure: the item scanned');
  t.same(result.items[0]?.history, [result.scan.id], 'getProcedure: its scan history');
  t.equal(result.recall.affected, 1, 'createRecall: the implant is affected');
  t.match(result.recall.location, new RegExp(`/v1/recalls/${result.recall.id}$`), 'createRecall: Location of the recall');
  t.same(result.recalls, [{ id: result.recall.id, reference: 'FSN-CLIENT-1' }], 'listRecalls');
  t.same(
    result.problem,
    { status: 422, contentType: 'application/problem+json; charset=utf-8', code: 'VALIDATION_FAILED', title: 'Request validation failed', pointers: ['/limit'] },
    'a problem+json error, read through its typed shape',
  );
});
