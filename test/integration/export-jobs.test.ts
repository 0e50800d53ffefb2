/**
 * FHIR export jobs and their leases, in one process: what makes several
 * instances safe (test/integration/instances.test.ts runs real processes).
 * A job is taken by one owner at a time; every write of an attempt is fenced
 * by its lease; a job interrupted too often fails with a reason.
 */
import { sql } from 'kysely';
import t from 'tap';
import {
  claimJob,
  completeJob,
  findJob,
  insertJob,
  insertPart,
  insertSubjects,
  renewLease,
  type Lease,
} from '../../src/modules/fhir/fhir.repository.js';
import { MAX_ATTEMPTS } from '../../src/modules/fhir/bulk-export.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { kickOff } from '../helpers/fhir-export.js';

t.test('leases: one owner at a time, and every write of an attempt fenced by it', async (t) => {
  // An instance that runs no exports: the test takes the job by hand.
  const app = await buildTestApp(t, { env: { EXPORT_WORKERS: '0' } });
  const org = await createOrganisationWithKeys(app, 'RRK');
  const keyId = org.keyIds.registry;
  const job = await insertJob(app.db, {
    registryCode: 'NJR',
    organisationId: org.id,
    actorKeyId: keyId,
    requestUrl: 'http://localhost/fhir/R4/Group/NJR/$export',
    types: ['Patient'],
    since: null,
    expiresAt: new Date(Date.now() + 3_600_000),
  });

  const first = await claimJob(app.db, 'instance-a', 30, MAX_ATTEMPTS);
  t.equal(first?.id, job.id, 'a waiting job is taken');
  t.equal(first?.attempt, 1);
  t.equal(await claimJob(app.db, 'instance-b', 30, MAX_ATTEMPTS), undefined, 'while its lease holds, nobody else takes it');

  const a: Lease = { id: job.id, attempt: 1, owner: 'instance-a' };
  t.ok(await insertPart(app.db, a, 'Patient', 0, 3, Buffer.from('abc')), 'the holder writes');
  t.ok(await insertSubjects(app.db, a, 'Patient', 0, [], []), 'nothing to record is no refusal');
  t.ok(await renewLease(app.db, a, 30, 'Patient: 1 written'), 'the holder renews');

  // The lease runs out (the instance froze): another owner takes the job as attempt 2.
  await sql`update bulk_exports set lease_expires_at = now() - interval '1 second' where id = ${job.id}`.execute(app.db);
  const second = await claimJob(app.db, 'instance-b', 30, MAX_ATTEMPTS);
  t.equal(second?.attempt, 2, 'taken over as a new attempt');
  const b: Lease = { id: job.id, attempt: 2, owner: 'instance-b' };

  t.notOk(await insertPart(app.db, a, 'Patient', 1, 3, Buffer.from('old')), 'the old attempt can no longer write a part');
  t.notOk(await renewLease(app.db, a, 30, 'late'), 'nor renew');
  const done = { transactionTime: new Date(), output: [{ type: 'Patient' as const, file: 'Patient.ndjson', count: 1, bytes: 3 }], completedAt: new Date(), expiresAt: new Date(Date.now() + 3_600_000) };
  t.notOk(await completeJob(app.db, a, done), 'nor complete the job');

  t.ok(await insertPart(app.db, b, 'Patient', 0, 3, Buffer.from('new')));
  t.ok(await completeJob(app.db, b, done), 'the holder completes it');
  const parts = await app.db.selectFrom('bulk_export_parts').select(['attempt', 'data']).where('export_id', '=', job.id).execute();
  t.same(
    parts.map((p) => [p.attempt, p.data.toString()]),
    [[2, 'new']],
    'completion clears what earlier attempts wrote',
  );
  t.equal((await findJob(app.db, job.id))?.status, 'completed');
  t.equal(await claimJob(app.db, 'instance-c', 30, MAX_ATTEMPTS), undefined, 'a completed job is never taken again');
});

t.test(`an export interrupted ${MAX_ATTEMPTS} times fails, and says so`, async (t) => {
  const idle = await buildTestApp(t, { env: { EXPORT_WORKERS: '0' } });
  const org = await createOrganisationWithKeys(idle, 'RRK');
  const res = await kickOff(idle, org.keys.registry, 'NJR');
  t.equal(res.statusCode, 202);
  const statusUrl = new URL(String(res.headers['content-location'])).pathname;
  const id = statusUrl.split('/').pop() ?? '';
  await sql`update bulk_exports set status = 'running', attempt = ${MAX_ATTEMPTS}, lease_owner = 'gone', lease_expires_at = now() - interval '1 second' where id = ${id}`.execute(idle.db);

  // An instance that runs exports looks at once when it is ready.
  const worker = await buildTestApp(t, { db: idle.db, bootstrap: false, env: { EXPORT_WORKERS: '1' } });
  await worker.app.ready();
  let status = 0;
  let body = '';
  for (let i = 0; i < 100 && status !== 500; i++) {
    const r = await idle.request({ method: 'GET', url: statusUrl, key: org.keys.registry });
    status = r.statusCode;
    body = r.body;
    if (status === 202) await new Promise((resolve) => setTimeout(resolve, 50));
    else break;
  }
  t.equal(status, 500, 'a failed export answers its failure');
  t.match(body, /EXPORT_FAILED/);
  t.match(body, new RegExp(`interrupted ${MAX_ATTEMPTS} times`));
  t.equal((await findJob(idle.db, id))?.status, 'failed');
});
