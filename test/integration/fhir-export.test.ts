import t from 'tap';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { insertJob } from '../../src/modules/fhir/fhir.repository.js';
import { exportAll, kickOff, type Manifest } from '../helpers/fhir-export.js';
import { validateR4 } from '../helpers/fhir-validate.js';
import { GS, GTIN, nhsNumber, openProcedure, PLACE, scan } from '../helpers/theatre.js';

t.test('FHIR R4 Bulk Data export', async (t) => {
  const app = await buildTestApp(t);
  const org = await createOrganisationWithKeys(app, 'RRK');
  const other = await createOrganisationWithKeys(app, 'RH8');
  const key = org.keys.registry; // NJR, organisation RRK
  const scanner = org.keys.scanner;
  await app.request({ method: 'PUT', url: `/v1/products/${GTIN}`, key: org.keys.procurement, payload: { brand: 'Hip Stem X', model: 'S3', manufacturer: 'Acme', implantable: true } });

  const consenting = nhsNumber(8001);
  const silent = nhsNumber(8002);
  const elsewhere = nhsNumber(8003);
  const p1 = await openProcedure(app, scanner, {
    patient: { nhsNumber: consenting, dateOfBirth: '1948-02-29' },
    location: { barcode: PLACE },
    clinician: { localId: 'C123', name: 'Ms A Surgeon' },
    procedureCode: 'W37.1',
    startedAt: '2024-01-10T09:00:00Z',
  });
  const primary = p1.json().id as string;
  const raw = `]d201${GTIN}17301231` + `10LOT1${GS}21SER-1`;
  await scan(app, scanner, primary, { barcode: raw });
  await scan(app, scanner, primary, { barcode: '+A123BJC5D6E71G' });
  await scan(app, scanner, primary, { manual: { gtin: GTIN, lotNumber: 'TYPED' } });
  await scan(app, scanner, primary, { barcode: `01${GTIN}10WASTE`, action: 'wasted' });
  await app.request({ method: 'POST', url: `/v1/procedures/${primary}/complete`, key: scanner });
  await app.request({ method: 'POST', url: '/v1/consents', key: scanner, payload: { nhsNumber: consenting, registry: 'NJR', status: 'granted' } });
  const p2 = (await openProcedure(app, scanner, { patient: { nhsNumber: silent } })).json().id as string;
  await scan(app, scanner, p2, { barcode: `01${GTIN}21SER-2` });
  const revision = (await openProcedure(app, scanner, { patient: { nhsNumber: consenting }, startedAt: '2026-01-10T09:00:00Z' })).json().id as string;
  await scan(app, scanner, revision, { barcode: `01${GTIN}21SER-1`, action: 'explanted' });
  await openProcedure(app, other.keys.scanner, { patient: { nhsNumber: elsewhere } });

  t.test('the validators do reject invalid resources (so a pass means something)', async (t) => {
    t.ok(validateR4({ resourceType: 'Device', id: 'x', udiCarrier: [{ deviceIdentifier: '1', entryType: 'bogus' }] }).length > 0);
    t.ok(validateR4({ resourceType: 'Procedure', id: 'x', subject: { reference: 'Patient/p' } }).length > 0, 'Procedure.status is required');
    t.ok(validateR4({ resourceType: 'Patient', id: 'x', nhsNumber: '1' }).length > 0, 'unknown elements');
    t.same(validateR4({ resourceType: 'Patient', id: 'x' }), []);
  });

  t.test('kick-off rules, answered as OperationOutcomes', async (t) => {
    const noPrefer = await app.request({ method: 'GET', url: '/fhir/R4/Group/NJR/$export', key });
    t.equal(noPrefer.statusCode, 400);
    t.match(noPrefer.headers['content-type'], /^application\/fhir\+json/);
    t.match(noPrefer.json(), { resourceType: 'OperationOutcome', issue: [{ severity: 'error', details: { coding: [{ code: 'PREFER_ASYNC_REQUIRED' }] } }] });
    t.same(validateR4(noPrefer.json()), [], 'the OperationOutcome is valid R4');
    const badType = await kickOff(app, key, 'NJR', '?_type=Patient,Observation');
    t.equal(badType.statusCode, 422);
    t.match(badType.json().issue[0].diagnostics, /Observation/);
    t.equal((await kickOff(app, key, 'NJR', '?_typeFilter=x')).statusCode, 422, 'unsupported parameters are refused, not ignored');
    t.equal((await kickOff(app, key, 'NJR', '?_outputFormat=text/csv')).statusCode, 422);
    t.equal((await kickOff(app, key, 'BCIR')).json().issue[0].details.coding[0].code, 'REGISTRY_NOT_PERMITTED');
    t.equal((await kickOff(app, org.keys.procurement, 'NJR')).statusCode, 403);
    t.equal((await kickOff(app, 'nope', 'NJR')).json().issue[0].code, 'login');
  });

  let first: Awaited<ReturnType<typeof exportAll>>;
  t.test('the whole flow: 202, polling, manifest, NDJSON files of valid R4 resources', async (t) => {
    first = await exportAll(app, key, 'NJR');
    const { manifest, files } = first;
    t.match(manifest, { requiresAccessToken: true, error: [] });
    t.match(manifest.request, /\/fhir\/R4\/Group\/NJR\/\$export$/);
    t.ok(Date.parse(manifest.transactionTime) <= Date.now());
    t.same(manifest.output.map((o) => o.type), ['Patient', 'Procedure', 'Device', 'Location']);
    for (const out of manifest.output) t.equal(files.get(out.type)?.length, out.count, `${out.type}: count matches the file`);

    let checked = 0;
    for (const [type, resources] of files) {
      for (const resource of resources) {
        t.same(validateR4(resource), [], `${type}/${resource.id} is valid FHIR R4`);
        checked++;
      }
    }
    t.ok(checked >= 9);

    const patients = files.get('Patient')!;
    t.equal(patients.length, 2, 'one Patient per person, however many procedures');
    const identified = patients.find((p) => p.identifier.some((i: { value: string }) => i.value === consenting));
    t.match(identified, { birthDate: '1948-02-29', identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: consenting }] });
    const pseudonymous = patients.find((p) => p !== identified)!;
    t.same(pseudonymous.identifier.map((i: { system: string }) => i.system), ['urn:implant-trace:registry:njr:pseudonym']);
    t.notOk(pseudonymous.birthDate);
    const everything = JSON.stringify([...files.values()]);
    t.notOk(everything.includes(silent), 'no NHS number of a patient without consent, anywhere');
    t.notOk(everything.includes(elsewhere), "nothing of another organisation's patients");

    const procedures = files.get('Procedure')!;
    t.equal(procedures.length, 3);
    const proc = procedures.find((p) => p.id === primary)!;
    t.match(proc, { status: 'completed', code: { text: 'W37.1' }, subject: { reference: `Patient/${identified!.id}` }, performer: [{ actor: { display: 'Ms A Surgeon' } }] });
    t.equal(proc.focalDevice.length, 3, 'three devices implanted; the wasted one is not a focal device');
    t.ok(proc.focalDevice.every((f: { action: { coding: { code: string }[] } }) => f.action.coding[0]?.code === '129336009'));
    const rev = procedures.find((p) => p.id === revision)!;
    t.match(rev.focalDevice, [{ action: { coding: [{ system: 'http://snomed.info/sct', code: '129303008' }] } }]);

    const devices = files.get('Device')!;
    t.equal(devices.length, 5, 'implants and explants, not wasted items');
    const gs1 = devices.find((d) => d.serialNumber === 'SER-1' && d.status === 'inactive')!;
    t.match(gs1, { lotNumber: 'LOT1', expirationDate: '2030-12-31', manufacturer: 'Acme', modelNumber: 'S3', patient: { reference: `Patient/${identified!.id}` } });
    t.match(gs1.udiCarrier, [
      { deviceIdentifier: GTIN, issuer: 'http://hl7.org/fhir/NamingSystem/gs1-di', entryType: 'barcode', carrierHRF: `(01)${GTIN}(17)301231(10)LOT1(21)SER-1` },
    ]);
    t.equal(Buffer.from(gs1.udiCarrier[0].carrierAIDC, 'base64').toString('utf8'), raw, 'carrierAIDC is the scan exactly as read, FNC1 and all');
    const hibc = devices.find((d) => d.udiCarrier?.[0]?.issuer === 'http://hl7.org/fhir/NamingSystem/hibcc-dI');
    t.match(hibc?.udiCarrier[0], { deviceIdentifier: 'A123BJC5D6E71', carrierHRF: '*+A123BJC5D6E71G*' });
    const manual = devices.find((d) => d.lotNumber === 'TYPED');
    t.match(manual?.udiCarrier[0], { entryType: 'manual' });
    t.notOk(manual?.udiCarrier[0].carrierAIDC, 'nothing was scanned, so no AIDC');
    t.match(files.get('Location'), [{ identifier: [{ system: 'http://www.gs1.org/gln', value: PLACE.slice(3) }], managingOrganization: { identifier: { value: 'RRK' } } }]);
  });

  t.test('files need the key of the same registry and organisation', async (t) => {
    const url = new URL(first.manifest.output[0]!.url).pathname;
    t.equal((await app.request({ method: 'GET', url })).statusCode, 401);
    t.equal((await app.request({ method: 'GET', url, key: other.keys.registry })).statusCode, 404, "another organisation's NJR key");
    t.equal((await app.request({ method: 'GET', url: new URL(first.statusUrl).pathname, key: other.keys.registry })).statusCode, 404);
    const audits = await app.db.selectFrom('audit_events').select('detail').where('action', '=', 'fhir.export.download').execute();
    t.equal(audits.length, 4, 'every file download is audited');
    const disclosed = await app.db.selectFrom('audit_events').select(['patient_ids', 'procedure_ids', 'detail']).where('action', '=', 'fhir.export.download.disclosed').execute();
    const ofType = (type: string) => disclosed.filter((r) => r.detail.type === type);
    t.same(
      [...new Set(ofType('Procedure').flatMap((r) => r.procedure_ids))].sort(),
      first.files.get('Procedure')!.map((p) => p.id).sort(),
      'the Procedure download is audited by exactly the procedures in the file',
    );
    t.ok(ofType('Patient').length > 0 && ofType('Patient').every((r) => r.patient_ids.length > 0), 'the Patient download names its patients');
    t.same(ofType('Location'), [], 'a Location file discloses no patient');
  });

  t.test('_since after a consent withdrawal: the patient comes again, without identifiers', async (t) => {
    await app.request({ method: 'POST', url: '/v1/consents', key: scanner, payload: { nhsNumber: consenting, registry: 'NJR', status: 'withdrawn' } });
    const since = encodeURIComponent(first.manifest.transactionTime);
    const later = await exportAll(app, key, 'NJR', `?_since=${since}`);
    const procedures = later.files.get('Procedure')!;
    t.same(procedures.map((p) => p.id).sort(), [primary, revision].sort(), 'only the withdrawn patient’s procedures changed');
    t.equal(later.files.get('Patient')?.length, 1);
    t.notOk(JSON.stringify([...later.files.values()]).includes(consenting), 'the NHS number is gone');
    t.equal(later.files.get('Patient')?.[0]?.id, first.files.get('Patient')?.find((p) => p.birthDate)?.id, 'the same Patient id (the pseudonym) as before');
    const none = await exportAll(app, key, 'NJR', `?_since=${encodeURIComponent(later.manifest.transactionTime)}&_type=Device,Patient`);
    t.same(none.manifest.output, [], 'nothing changed since: an empty output');
  });

  t.test('_type limits the files; a registry that takes nothing without consent gets nothing', async (t) => {
    const devices = await exportAll(app, key, 'NJR', '?_type=Device&_outputFormat=application/fhir%2Bndjson');
    t.same(devices.manifest.output.map((o) => o.type), ['Device']);
    const mdor = await app.request({ method: 'POST', url: '/v1/api-keys', key: app.adminKey, payload: { name: 'mdor', role: 'registry', national: true, registry: 'MDOR' } });
    const national = await exportAll(app, mdor.json().key, 'MDOR');
    t.same(national.manifest.output.map((o) => o.type), ['Location'], 'no patient consented to MDOR: no Patients, Procedures or Devices');
  });

  t.test('cancel and expiry', async (t) => {
    const res = await kickOff(app, key, 'NJR');
    const statusPath = new URL(String(res.headers['content-location'])).pathname;
    const cancelled = await app.request({ method: 'DELETE', url: statusPath, key });
    t.equal(cancelled.statusCode, 202);
    const gone = await app.request({ method: 'GET', url: statusPath, key });
    t.equal(gone.statusCode, 404);
    t.equal(gone.json().issue[0].details.coding[0].code, 'EXPORT_NOT_FOUND');

    const done = await exportAll(app, key, 'NJR', '?_type=Location');
    const id = statusPath.split('/').at(-1)!;
    t.not(new URL(done.statusUrl).pathname, statusPath);
    const doneId = new URL(done.statusUrl).pathname.split('/').at(-1)!;
    await app.db.updateTable('bulk_exports').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', doneId).execute();
    t.equal((await app.request({ method: 'GET', url: new URL(done.statusUrl).pathname, key })).statusCode, 404, 'an expired export is gone');
    t.equal((await app.request({ method: 'GET', url: new URL(done.manifest.output[0]!.url).pathname, key })).statusCode, 404, 'and so are its files');
    t.notOk(await app.db.selectFrom('bulk_exports').select('id').where('id', 'in', [id, doneId]).executeTakeFirst());
  });

  t.test('one export at a time per registry and tenancy, kept by the database; the route\'s Retry-After stands', async (t) => {
    const running = await insertJob(app.db, { registryCode: 'NJR', organisationId: org.id, actorKeyId: org.keyIds.registry, requestUrl: 'x', types: ['Patient'], since: null, expiresAt: new Date(Date.now() + 3_600_000) });
    await app.db.updateTable('bulk_exports').set({ status: 'running' }).where('id', '=', running.id).execute();
    const busy = await kickOff(app, key, 'NJR');
    t.equal(busy.statusCode, 429);
    t.equal(busy.headers['retry-after'], '10', 'the route’s Retry-After, not the error handler’s default');
    // Two kick-offs that both passed the check: the second insert is refused by the unique index.
    await t.rejects(
      insertJob(app.db, { registryCode: 'NJR', organisationId: org.id, actorKeyId: org.keyIds.registry, requestUrl: 'y', types: ['Patient'], since: null, expiresAt: new Date(Date.now() + 3_600_000) }),
      /bulk_exports_one_active/,
    );
    const otherOrganisation = await insertJob(app.db, { registryCode: 'NJR', organisationId: other.id, actorKeyId: other.keyIds.registry, requestUrl: 'z', types: ['Patient'], since: null, expiresAt: new Date(Date.now() + 3_600_000) });
    t.ok(otherOrganisation.id, 'another tenancy may run its own');
    await app.db.updateTable('bulk_exports').set({ status: 'cancelled' }).where('id', 'in', [running.id, otherOrganisation.id]).execute();
    const both = await Promise.all([kickOff(app, key, 'NJR'), kickOff(app, key, 'NJR')]);
    t.ok(both.some((r) => r.statusCode === 202), 'one of two simultaneous kick-offs starts');
    t.ok(both.every((r) => r.statusCode === 202 || (r.statusCode === 429 && r.headers['retry-after'] === '10')), 'the other waits (or starts after the first finished)');
  });
});

t.test('absolute URLs come from PUBLIC_BASE_URL, never from the Host header', async (t) => {
  for (const [env, base] of [
    [{ PUBLIC_BASE_URL: 'https://implants.example.nhs.uk/trace/' }, 'https://implants.example.nhs.uk/trace'],
    [{}, 'http://localhost:3000'],
  ] as const) {
    const app = await buildTestApp(t, { env });
    const org = await createOrganisationWithKeys(app, 'RRK');
    const key = org.keys.registry;
    await openProcedure(app, org.keys.scanner, { patient: { nhsNumber: nhsNumber(9001) }, location: { barcode: PLACE } });
    const hostile = { host: 'attacker.example', 'x-forwarded-host': 'attacker.example', 'x-forwarded-proto': 'https' };
    const res = await app.request({
      method: 'GET',
      url: '/fhir/R4/Group/NJR/$export?_type=Location',
      key,
      headers: { ...hostile, prefer: 'respond-async', accept: 'application/fhir+json' },
    });
    t.equal(res.statusCode, 202);
    const statusUrl = String(res.headers['content-location']);
    t.ok(statusUrl.startsWith(`${base}/fhir/R4/$export-status/`), `Content-Location ${statusUrl} is under ${base}`);
    let manifest: Manifest | undefined;
    for (let i = 0; i < 400 && manifest === undefined; i++) {
      const poll = await app.request({ method: 'GET', url: new URL(statusUrl).pathname.replace(/^\/trace/, ''), key, headers: hostile });
      if (poll.statusCode === 200) manifest = poll.json<Manifest>();
      else await new Promise((resolve) => setTimeout(resolve, 10));
    }
    t.ok(manifest, 'the export finished');
    t.equal(manifest?.request, `${base}/fhir/R4/Group/NJR/$export?_type=Location`, 'the manifest’s request names the service, not the caller’s Host');
    t.ok(manifest?.output.length, 'a Location file');
    for (const out of manifest?.output ?? []) t.ok(out.url.startsWith(`${base}/fhir/R4/$export-file/`), out.url);
    t.notOk(JSON.stringify(manifest).includes('attacker'), 'the hostile host appears nowhere');
  }
});
