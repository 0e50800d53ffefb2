/**
 * Checks before opening: append-only finding events (what was checked, what
 * was found, by whom, when by the service's clock). No item is recorded.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, PreUseChecksTable } from '../../db/database.js';
import type { Device } from '../../domain/device.js';
import type { ScanWarning } from './scan.rules.js';

export type CheckOutcome = PreUseChecksTable['outcome'];

export interface PreUseCheck {
  readonly id: string;
  readonly organisationId: string;
  readonly procedureId: string;
  readonly entryType: 'barcode' | 'manual';
  readonly raw: string | null;
  readonly device: Pick<Device, 'issuingAgency' | 'di' | 'lotNumber' | 'serialNumber' | 'expirationDate'>;
  readonly findings: readonly ScanWarning[];
  readonly outcome: CheckOutcome;
  readonly checkedAt: Date;
  readonly actorKeyId: string;
}

export interface NewPreUseCheck {
  readonly organisationId: string;
  readonly procedureId: string;
  readonly entryType: 'barcode' | 'manual';
  readonly raw: string | null;
  readonly device: Device;
  readonly findings: readonly ScanWarning[];
  readonly outcome: CheckOutcome;
  readonly actorKeyId: string;
}

const toCheck = (r: Selectable<PreUseChecksTable>): PreUseCheck => ({
  id: r.id,
  organisationId: r.organisation_id,
  procedureId: r.procedure_id,
  entryType: r.entry_type,
  raw: r.raw,
  device: { issuingAgency: r.issuing_agency, di: r.di, lotNumber: r.lot_number, serialNumber: r.serial_number, expirationDate: r.expiration_date },
  findings: r.findings as ScanWarning[],
  outcome: r.outcome,
  checkedAt: r.checked_at,
  actorKeyId: r.actor_key_id,
});

export async function insertPreUseCheck(db: Kysely<Database>, c: NewPreUseCheck): Promise<PreUseCheck> {
  const row = await db
    .insertInto('pre_use_checks')
    .values({
      organisation_id: c.organisationId,
      procedure_id: c.procedureId,
      entry_type: c.entryType,
      raw: c.raw,
      issuing_agency: c.device.issuingAgency,
      di: c.device.di,
      lot_number: c.device.lotNumber,
      serial_number: c.device.serialNumber,
      expiration_date: c.device.expirationDate,
      findings: JSON.stringify(c.findings),
      outcome: c.outcome,
      actor_key_id: c.actorKeyId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toCheck(row);
}

/** The checks made in a procedure, oldest first. */
export async function checksOfProcedure(db: Kysely<Database>, procedureId: string): Promise<PreUseCheck[]> {
  return (await db.selectFrom('pre_use_checks').selectAll().where('procedure_id', '=', procedureId).orderBy('checked_at').orderBy('id').execute()).map(toCheck);
}
