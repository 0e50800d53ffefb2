/**
 * A check before opening: the theatre scans a box before it is opened and is
 * told what a scan of it as implanted would say (expired, recalled, already
 * implanted in someone else, the wrong side, size or taper for this case),
 * against the procedure and what is implanted in it now. Nothing is recorded
 * about the patient: no scan, no item. The check itself is kept as a finding
 * event, audited, and counted by the safety report.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { deviceFieldsOf } from '../../domain/device.js';
import type { ParseResult } from '../../barcode/types.js';
import { requireOrganisation, type RequestContext } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import { ProblemError } from '../../shared/problem.js';
import { recordAudit } from '../audit/audit.service.js';
import { findProcedure } from '../procedures/procedure.repository.js';
import { checksOfProcedure, insertPreUseCheck, type CheckOutcome, type PreUseCheck } from './check.repository.js';
import { recordedFacts } from './scan.repository.js';
import { awaitingFor, manualDevice, type Device, type ScanWarning } from './scan.rules.js';
import { deviceWarnings, readProductLabel, recallsNaming } from './scan.service.js';

export interface CheckInput {
  readonly barcode?: string | undefined;
  readonly manual?: { gtin: string; lotNumber?: string | undefined; serialNumber?: string | undefined; expirationDate?: string | undefined } | undefined;
}

const SEVERITY_ORDER: readonly CheckOutcome[] = ['critical', 'warning', 'info'];

/** The most severe finding, or none. */
export function outcomeOf(findings: readonly ScanWarning[]): CheckOutcome {
  return SEVERITY_ORDER.find((s) => findings.some((f) => f.severity === s)) ?? 'none';
}

export const toCheckApi = (c: PreUseCheck) => ({
  id: c.id,
  procedureId: c.procedureId,
  entryType: c.entryType,
  raw: c.raw,
  issuingAgency: c.device.issuingAgency,
  di: c.device.di,
  lotNumber: c.device.lotNumber,
  serialNumber: c.device.serialNumber,
  expirationDate: c.device.expirationDate,
  outcome: c.outcome,
  findings: c.findings,
  checkedAt: c.checkedAt.toISOString(),
  checkedBy: c.actorKeyId,
});


export async function checkBeforeOpening(db: Kysely<Database>, ctx: RequestContext, procedureId: string, input: CheckInput, clock: Clock) {
  const organisationId = requireOrganisation(ctx);
  const now = clock.now();
  const procedure = await findProcedure(db, procedureId);
  if (!procedure || procedure.organisationId !== organisationId) throw new ProblemError('NOT_FOUND', 'No such procedure.');
  if (procedure.status === 'completed') throw new ProblemError('PROCEDURE_COMPLETED', 'The procedure is completed: there is nothing left to open in it.');
  const manual = input.manual !== undefined;
  let device: Device;
  let parsed: ParseResult | undefined;
  if (input.barcode !== undefined) ({ device, parsed } = readProductLabel(input.barcode, now));
  else device = manualDevice(input.manual as NonNullable<CheckInput['manual']>);

  const [facts] = await recordedFacts(db, [
    // No scanner and no raw label: a check is not a scan, so it is never a double scan of one.
    { procedureId, organisationId, patientId: procedure.patientId, scannerId: null, raw: null, since: now, device, itemId: null },
  ]);
  if (!facts) throw new Error('The facts query answered no row');
  const [recalls] = await recallsNaming(db, [{ organisationId, device, manual, named: facts.recallNamesProduct }]);
  const findings = deviceWarnings({
    device,
    action: 'implanted',
    at: now,
    side: procedure.side,
    facts,
    recalls: recalls ?? [],
    parsed,
    awaiting: awaitingFor(device, manual),
    explantMatched: null,
    now,
    compatibility: 'always',
  });
  const outcome = outcomeOf(findings);
  const check = await db.transaction().execute(async (trx) => {
    const stored = await insertPreUseCheck(trx, { organisationId, procedureId, entryType: manual ? 'manual' : 'barcode', raw: input.barcode ?? null, device, findings, outcome, actorKeyId: ctx.actor.keyId });
    await recordAudit(trx, ctx, {
      action: 'procedure.check',
      organisationId,
      patientIds: [procedure.patientId],
      procedureIds: [procedureId],
      detail: { checkId: stored.id, outcome, findings: findings.map((f) => f.code) },
    });
    return stored;
  });
  return {
    check: toCheckApi(check),
    device: deviceFieldsOf({ ...device, entryType: manual ? 'manual' : 'barcode' }),
    warnings: findings,
    // What a scan of it as implanted would do: a critical finding asks for the theatre's decision.
    wouldNeedDecision: outcome === 'critical',
  };
}

/** The checks made in a procedure, oldest first (audited: they name the patient's procedure). */
export async function listChecks(db: Kysely<Database>, ctx: RequestContext, procedureId: string) {
  const organisationId = requireOrganisation(ctx);
  const procedure = await findProcedure(db, procedureId);
  if (!procedure || procedure.organisationId !== organisationId) throw new ProblemError('NOT_FOUND', 'No such procedure.');
  const checks = await checksOfProcedure(db, procedureId);
  await recordAudit(db, ctx, { action: 'procedure.checks.read', organisationId, patientIds: [procedure.patientId], procedureIds: [procedureId], detail: { checks: checks.length } });
  return { checks: checks.map(toCheckApi) };
}
