import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Side } from '../../domain/vocabulary.js';
import { canSee, requireOrganisation, tenancyOf, type RequestContext } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import { ProblemError } from '../../shared/problem.js';
import { procedureStartIssue, timeOutOfBounds } from '../../shared/time-bounds.js';
import { recordAudit, recordListAudit } from '../audit/audit.service.js';
import { insertCaseStaffEvent } from './case-staff.repository.js';
import { caseTeamView, evidenceOf } from './case-staff.service.js';
import { pendingItemIds } from '../decisions/decision.repository.js';
import { findIdempotencyRecords, idempotencyId, storeIdempotentAnswer } from '../idempotency/idempotency.repository.js';
import { requestHash } from '../idempotency/request-hash.js';
import { findLocationById, findStaffById } from '../locations/location.repository.js';
import { keyFromLabel, resolveLocation, resolveStaff, type LocationRef, type StaffRef } from '../locations/location.service.js';
import { findProductsFor } from '../products/product.repository.js';
import { itemsOfProcedure, scansOfProcedure } from '../scans/scan.repository.js';
import { toItemApi, toScanApi } from '../scans/scan.service.js';
import { findPatientById, findPatientByWristband, setWristband, upsertPatient, type Patient } from './patient.repository.js';
import { completeProcedure, findProcedure, insertProcedure, searchProcedures, type Procedure, type ProcedureSearch } from './procedure.repository.js';

export interface PatientRef {
  readonly nhsNumber?: string | undefined;
  readonly barcode?: string | undefined;
  readonly dateOfBirth?: string | undefined;
  readonly localMrn?: string | undefined;
}

export interface CreateProcedureInput {
  readonly patient: PatientRef;
  readonly location?: LocationRef | undefined;
  readonly clinician?: StaffRef | undefined;
  readonly procedureCode?: string | undefined;
  readonly side?: Side | undefined;
  readonly startedAt?: Date | undefined;
}

/**
 * The patient a wristband and/or NHS number identify. Both given: they must
 * agree, or the theatre is told to stop (PATIENT_MISMATCH). A wristband seen
 * for the first time is recorded against the NHS number given with it.
 */
async function resolvePatient(db: Kysely<Database>, organisationId: string, ref: PatientRef, today: Date): Promise<Patient> {
  const gsrn = ref.barcode === undefined ? undefined : keyFromLabel(ref.barcode, '8018', 'patient wristband (GSRN, AI 8018)', today).value;
  if (ref.nhsNumber === undefined) {
    const patient = gsrn === undefined ? undefined : await findPatientByWristband(db, organisationId, gsrn);
    if (!patient) throw new ProblemError('PATIENT_NOT_FOUND', 'This wristband is not known here. Give the NHS number with it.');
    return patient;
  }
  const patient = await upsertPatient(db, { organisationId, nhsNumber: ref.nhsNumber, localMrn: ref.localMrn, dateOfBirth: ref.dateOfBirth });
  if (gsrn !== undefined && patient.wristbandGsrn !== gsrn) {
    const holder = await findPatientByWristband(db, organisationId, gsrn);
    if (holder && holder.id !== patient.id) {
      throw new ProblemError('PATIENT_MISMATCH', 'The wristband belongs to another patient than this NHS number. Stop and check the patient.');
    }
    // A new wristband (a new admission) for this patient.
    await setWristband(db, patient.id, gsrn);
    return { ...patient, wristbandGsrn: gsrn };
  }
  return patient;
}

/** Another transaction stored an answer under this Idempotency-Key first. */
class IdempotencyRace extends Error {}

/**
 * Opens a procedure. With an Idempotency-Key, a retry (the same key and the
 * same body: a response lost on the way back to the theatre) opens nothing
 * and answers the procedure the first request opened, as it is now; the same
 * key with another body is refused (IDEMPOTENCY_KEY_REUSED).
 */
export async function createProcedure(
  db: Kysely<Database>,
  ctx: RequestContext,
  input: CreateProcedureInput,
  clock: Clock,
  idempotencyKey?: string,
): Promise<{ readonly procedure: Awaited<ReturnType<typeof procedureDetail>>; readonly replayed: boolean }> {
  const organisationId = requireOrganisation(ctx);
  if (idempotencyKey === undefined) return { procedure: await procedureDetail(db, await openProcedure(db, ctx, organisationId, input, clock)), replayed: false };
  const hash = requestHash('POST /v1/procedures', input);
  for (let attempt = 1; ; attempt++) {
    const earlier = (await findIdempotencyRecords(db, [{ organisationId, key: idempotencyKey }])).get(idempotencyId(organisationId, idempotencyKey));
    if (earlier) {
      if (!earlier.requestHash.equals(hash)) throw new ProblemError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for another request. Use a new key to open another procedure.');
      const { procedureId } = earlier.response as { procedureId: string };
      return { procedure: await getProcedure(db, ctx, procedureId), replayed: true };
    }
    try {
      const id = await openProcedure(db, ctx, organisationId, input, clock, async (trx, procedureId) => {
        const stored = await storeIdempotentAnswer(trx, { organisationId, key: idempotencyKey, requestHash: hash, statusCode: 201, response: { procedureId } });
        if (!stored) throw new IdempotencyRace();
      });
      return { procedure: await procedureDetail(db, id), replayed: false };
    } catch (error) {
      // A concurrent retry with this key committed first: its procedure is the answer.
      if (error instanceof IdempotencyRace && attempt < 3) continue;
      throw error;
    }
  }
}

async function openProcedure(
  db: Kysely<Database>,
  ctx: RequestContext,
  organisationId: string,
  input: CreateProcedureInput,
  clock: Clock,
  claim?: (trx: Kysely<Database>, procedureId: string) => Promise<void>,
): Promise<string> {
  const now = clock.now();
  const startIssue = input.startedAt === undefined ? undefined : procedureStartIssue(input.startedAt, now);
  if (startIssue) throw timeOutOfBounds('startedAt', startIssue);
  return db.transaction().execute(async (trx) => {
    const patient = await resolvePatient(trx, organisationId, input.patient, now);
    const location = input.location === undefined ? undefined : await resolveLocation(trx, organisationId, input.location, now);
    const clinician = input.clinician === undefined ? undefined : await resolveStaff(trx, organisationId, input.clinician, now);
    const procedure = await insertProcedure(trx, {
      organisationId,
      patientId: patient.id,
      locationId: location?.id ?? null,
      leadClinicianId: clinician?.id ?? null,
      procedureCode: input.procedureCode ?? null,
      side: input.side ?? null,
      startedAt: input.startedAt ?? now,
      createdBy: ctx.actor.keyId,
    });
    // The lead clinician is the case team's first member: at the scanner when their badge was scanned.
    if (clinician !== undefined && input.clinician !== undefined) {
      await insertCaseStaffEvent(trx, {
        organisationId,
        procedureId: procedure.id,
        staffId: clinician.id,
        event: 'joined',
        role: 'lead-clinician',
        evidence: evidenceOf(input.clinician),
        recordedBy: ctx.actor.keyId,
      });
    }
    await recordAudit(trx, ctx, { action: 'procedure.create', organisationId, patientIds: [patient.id], procedureIds: [procedure.id] });
    await claim?.(trx, procedure.id);
    return procedure.id;
  });
}

/** The procedure as its API shows it: patient, place, clinician, and every item with its scan history. */
async function procedureDetail(db: Kysely<Database>, id: string) {
  const procedure = (await findProcedure(db, id)) as Procedure;
  const [patient, location, clinician, items, scans, team] = await Promise.all([
    findPatientById(db, procedure.patientId),
    procedure.locationId === null ? undefined : findLocationById(db, procedure.locationId),
    procedure.leadClinicianId === null ? undefined : findStaffById(db, procedure.leadClinicianId),
    itemsOfProcedure(db, id),
    scansOfProcedure(db, id),
    caseTeamView(db, id),
  ]);
  // The products as the organisation that holds the procedure sees them (its own values over the national record).
  const products = await findProductsFor(db, procedure.organisationId, [...new Set(items.map((i) => i.di).filter((di): di is string => di !== null))]);
  const p = patient as Patient;
  return {
    id: procedure.id,
    status: procedure.status,
    startedAt: procedure.startedAt.toISOString(),
    completedAt: procedure.completedAt?.toISOString() ?? null,
    procedureCode: procedure.procedureCode,
    side: procedure.side,
    patient: { id: p.id, nhsNumber: p.nhsNumber, wristbandGsrn: p.wristbandGsrn, localMrn: p.localMrn, dateOfBirth: p.dateOfBirth },
    location: location ? { id: location.id, gln: location.gln, glnExtension: location.glnExtension, name: location.name, kind: location.kind } : null,
    clinician: clinician ? { id: clinician.id, gsrn: clinician.gsrn, localId: clinician.localId, name: clinician.name, role: clinician.role } : null,
    team,
    items: items.map((item) => {
      const product = item.di === null ? undefined : products.get(item.di);
      return {
        ...toItemApi(item),
        product: product ? { brand: product.brand, model: product.model, manufacturer: product.manufacturer, implantable: product.implantable } : null,
        history: scans.filter((s) => s.itemId === item.id).map(toScanApi),
      };
    }),
  };
}

/** Reads a procedure the caller may see (its organisation's, or any for a national key); 404 otherwise. Audited. */
export async function getProcedure(db: Kysely<Database>, ctx: RequestContext, id: string) {
  const procedure = await findProcedure(db, id);
  if (!procedure || !canSee(ctx.actor, procedure.organisationId)) throw new ProblemError('NOT_FOUND', 'No such procedure.');
  const detail = await procedureDetail(db, id);
  await recordAudit(db, ctx, { action: 'procedure.read', organisationId: procedure.organisationId, patientIds: [procedure.patientId], procedureIds: [id] });
  return detail;
}

export async function completeProcedureFor(db: Kysely<Database>, ctx: RequestContext, id: string, clock: Clock) {
  await db.transaction().execute(async (trx) => {
    const procedure = await findProcedure(trx, id, true);
    if (!procedure || procedure.organisationId !== ctx.actor.organisationId) throw new ProblemError('NOT_FOUND', 'No such procedure.');
    if (procedure.status === 'open') {
      // The record closes only when every critical warning has its decision.
      const pending = await pendingItemIds(trx, id);
      if (pending.length > 0) {
        throw new ProblemError(
          'DECISION_REQUIRED',
          `${pending.length === 1 ? 'An item' : `${pending.length} items`} raised a critical warning and ${pending.length === 1 ? 'waits' : 'wait'} for a decision (put aside, or implanted with a reason). Nothing was changed.`,
          { pendingItemIds: pending },
        );
      }
      await completeProcedure(trx, id, clock.now());
    }
    // Also when it was completed already: nothing changes, but the answer is the patient's record, a read.
    await recordAudit(trx, ctx, {
      action: 'procedure.complete',
      organisationId: procedure.organisationId,
      patientIds: [procedure.patientId],
      procedureIds: [id],
      detail: { alreadyCompleted: procedure.status !== 'open' },
    });
  });
  return procedureDetail(db, id);
}

export async function searchVisibleProcedures(db: Kysely<Database>, ctx: RequestContext, search: ProcedureSearch) {
  const found = await searchProcedures(db, tenancyOf(ctx.actor), search);
  await recordListAudit(db, ctx, 'procedure.search', found.map((p) => ({ organisationId: p.organisationId, patientId: p.patientId, procedureId: p.id })));
  return found.map((p) => ({
    id: p.id,
    organisation: p.odsCode,
    status: p.status,
    startedAt: p.startedAt.toISOString(),
    procedureCode: p.procedureCode,
    side: p.side,
    patient: { id: p.patientId, nhsNumber: p.nhsNumber },
    location: p.locationGln === null ? null : { gln: p.locationGln, name: p.locationName },
    itemCount: p.itemCount,
  }));
}
