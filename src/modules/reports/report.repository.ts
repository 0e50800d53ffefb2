import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { TenancyScope } from '../../shared/actor.js';

export interface DataQualityRow {
  readonly odsCode: string;
  readonly locationGln: string | null;
  readonly locationName: string | null;
  readonly items: number;
  readonly scanned: number;
  readonly manual: number;
  readonly missingLot: number;
  readonly missingSerial: number;
  readonly missingLotAndSerial: number;
  readonly unknownProduct: number;
  readonly incompleteSplitLabels: number;
  readonly pendingDecisions: number;
  readonly overrides: number;
  readonly notUsedAfterWarning: number;
  readonly criticalWithoutDecision: number;
}

/** An implant recorded before decisions existed whose scan raised a critical warning: nobody recorded what was done. */
const criticalWithoutDecision = sql<boolean>`(i.action = 'implanted' and i.decision_status is null and exists (
  select 1 from scans s where s.item_id = i.id and s.kind = 'product' and s.warnings @> '[{"severity": "critical"}]'::jsonb))`;

/** Items of procedures started in [from, to), active (not voided), counted per organisation and location. */
export async function dataQuality(db: Kysely<Database>, scope: TenancyScope, from: Date, to: Date): Promise<DataQualityRow[]> {
  let query = db
    .selectFrom('items as i')
    .innerJoin('procedures as p', 'p.id', 'i.procedure_id')
    .innerJoin('organisations as o', 'o.id', 'i.organisation_id')
    .leftJoin('locations as l', 'l.id', 'p.location_id')
    .leftJoin('products as pr', 'pr.di', 'i.di')
    .leftJoin('product_overrides as po', (join) => join.onRef('po.organisation_id', '=', 'i.organisation_id').onRef('po.di', '=', 'i.di'))
    .where('i.status', '=', 'active')
    .where('p.started_at', '>=', from)
    .where('p.started_at', '<', to)
    .select((eb) => [
      'o.ods_code',
      'l.gln',
      'l.name',
      eb.fn.countAll<string>().as('items'),
      eb.fn.countAll<string>().filterWhere('i.entry_type', '=', 'barcode').as('scanned'),
      eb.fn.countAll<string>().filterWhere('i.entry_type', '=', 'manual').as('manual'),
      eb.fn.countAll<string>().filterWhere('i.lot_number', 'is', null).as('missing_lot'),
      eb.fn.countAll<string>().filterWhere('i.serial_number', 'is', null).as('missing_serial'),
      eb.fn
        .countAll<string>()
        .filterWhere((f) => f.and([f('i.lot_number', 'is', null), f('i.serial_number', 'is', null)]))
        .as('missing_both'),
      eb.fn
        .countAll<string>()
        .filterWhere((f) => f.and([f('i.di', 'is not', null), f('pr.di', 'is', null), f('po.di', 'is', null)]))
        .as('unknown_product'),
      eb.fn.countAll<string>().filterWhere('i.awaiting', 'is not', null).as('incomplete'),
      eb.fn.countAll<string>().filterWhere('i.decision_status', '=', 'pending').as('pending'),
      eb.fn.countAll<string>().filterWhere('i.decision_status', '=', 'implanted').as('overrides'),
      eb.fn.countAll<string>().filterWhere('i.decision_status', '=', 'not-used').as('not_used'),
      eb.fn.countAll<string>().filterWhere(criticalWithoutDecision).as('undecided'),
    ])
    .groupBy(['o.ods_code', 'l.gln', 'l.name'])
    .orderBy('o.ods_code')
    .orderBy('l.gln');
  if (scope.kind === 'organisation') query = query.where('i.organisation_id', '=', scope.organisationId);
  const rows = await query.execute();
  return rows.map((r) => ({
    odsCode: r.ods_code,
    locationGln: r.gln,
    locationName: r.name,
    items: Number(r.items),
    scanned: Number(r.scanned),
    manual: Number(r.manual),
    missingLot: Number(r.missing_lot),
    missingSerial: Number(r.missing_serial),
    missingLotAndSerial: Number(r.missing_both),
    unknownProduct: Number(r.unknown_product),
    incompleteSplitLabels: Number(r.incomplete),
    pendingDecisions: Number(r.pending),
    overrides: Number(r.overrides),
    notUsedAfterWarning: Number(r.not_used),
    criticalWithoutDecision: Number(r.undecided),
  }));
}
