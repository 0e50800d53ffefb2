/**
 * Cost per case: the procedures started in a period (by their Europe/London date), what each consumed at
 * the point of use, and the unit price in force on its date. The only place cost SQL lives.
 *
 * A procedure's consumption is read from the stock ledger: per product, lot and serial, the units of its
 * `consumed` rows less those of its `returned-to-stock` rows (a unit put back: not used, or a voided
 * scan), keeping what is left above zero. Implanted and wasted units consume; explanted and returned
 * ones take nothing. The price is the first row of the `product_prices_in_force` index on or before
 * the case's date (a lateral join: one index probe per line).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { TenancyScope } from '../../shared/actor.js';

const TIME_ZONE = 'Europe/London';

export interface CaseRow {
  readonly procedureId: string;
  readonly organisationId: string;
  readonly odsCode: string;
  /** For the audit trail only: a case's cost names its procedure, which is patient data. */
  readonly patientId: string;
  readonly startedAt: Date;
  /** YYYY-MM-DD in Europe/London: the date whose prices apply. */
  readonly caseDate: string;
  readonly procedureCode: string | null;
  readonly status: 'open' | 'completed';
  readonly leadClinician: { readonly staffId: string; readonly name: string | null; readonly gsrn: string | null; readonly localId: string | null } | null;
  readonly location: { readonly gln: string; readonly name: string } | null;
}

interface CaseSqlRow {
  id: string;
  organisation_id: string;
  ods_code: string;
  patient_id: string;
  started_at: Date;
  case_date: string;
  procedure_code: string | null;
  status: 'open' | 'completed';
  staff_id: string | null;
  staff_name: string | null;
  staff_gsrn: string | null;
  staff_local_id: string | null;
  location_gln: string | null;
  location_name: string | null;
}

const toCase = (r: CaseSqlRow): CaseRow => ({
  procedureId: r.id,
  organisationId: r.organisation_id,
  odsCode: r.ods_code,
  patientId: r.patient_id,
  startedAt: r.started_at,
  caseDate: r.case_date,
  procedureCode: r.procedure_code,
  status: r.status,
  leadClinician: r.staff_id === null ? null : { staffId: r.staff_id, name: r.staff_name, gsrn: r.staff_gsrn, localId: r.staff_local_id },
  location: r.location_gln === null ? null : { gln: r.location_gln, name: r.location_name ?? '' },
});

function casesQuery(db: Kysely<Database>) {
  return db
    .selectFrom('procedures as p')
    .innerJoin('organisations as o', 'o.id', 'p.organisation_id')
    .leftJoin('staff as s', 's.id', 'p.lead_clinician_id')
    .leftJoin('locations as l', 'l.id', 'p.location_id')
    .select([
      'p.id',
      'p.organisation_id',
      'o.ods_code',
      'p.patient_id',
      'p.started_at',
      sql<string>`to_char(p.started_at at time zone ${TIME_ZONE}, 'YYYY-MM-DD')`.as('case_date'),
      'p.procedure_code',
      'p.status',
      's.id as staff_id',
      's.name as staff_name',
      's.gsrn as staff_gsrn',
      's.local_id as staff_local_id',
      'l.gln as location_gln',
      'l.name as location_name',
    ]);
}

/** The procedures started from `from` to `to` (both included, Europe/London dates), oldest first. */
export async function casesStarted(db: Kysely<Database>, scope: TenancyScope, from: string, to: string): Promise<CaseRow[]> {
  let q = casesQuery(db)
    // London midnight of `from` up to London midnight after `to`: the (organisation_id, started_at) index's range.
    .where('p.started_at', '>=', sql<Date>`(${from}::date)::timestamp at time zone ${TIME_ZONE}`)
    .where('p.started_at', '<', sql<Date>`(${to}::date + 1)::timestamp at time zone ${TIME_ZONE}`);
  if (scope.kind === 'organisation') q = q.where('p.organisation_id', '=', scope.organisationId);
  const rows = await q.orderBy('p.started_at').orderBy('p.id').execute();
  return rows.map(toCase);
}

/** One procedure, if the actor may see it. */
export async function caseOf(db: Kysely<Database>, scope: TenancyScope, procedureId: string): Promise<CaseRow | undefined> {
  let q = casesQuery(db).where('p.id', '=', procedureId);
  if (scope.kind === 'organisation') q = q.where('p.organisation_id', '=', scope.organisationId);
  const row = await q.executeTakeFirst();
  return row === undefined ? undefined : toCase(row);
}

export interface ConsumedLine {
  readonly procedureId: string;
  readonly issuingAgency: string;
  readonly di: string;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  /** Consumed less returned to stock: > 0. */
  readonly units: number;
  /** The price in force on the case's date; all null when there is none. */
  readonly priceId: string | null;
  readonly unitPriceMinor: number | null;
  readonly currency: string | null;
  readonly priceEffectiveFrom: string | null;
}

/** What these cases consumed, net of what went back to stock, each line with the unit price in force on its case's date. */
export async function consumptionOf(db: Kysely<Database>, cases: readonly Pick<CaseRow, 'procedureId' | 'organisationId' | 'caseDate'>[]): Promise<ConsumedLine[]> {
  if (cases.length === 0) return [];
  const rows = await sql<{
    procedure_id: string;
    issuing_agency: string;
    di: string;
    lot_number: string | null;
    serial_number: string | null;
    units: number;
    price_id: string | null;
    unit_price_minor: string | null;
    currency: string | null;
    effective_from: string | null;
  }>`
    with c as (
      select * from unnest(${cases.map((c) => c.procedureId)}::uuid[], ${cases.map((c) => c.organisationId)}::uuid[], ${cases.map((c) => c.caseDate)}::date[])
        as c(procedure_id, organisation_id, case_date)
    ),
    l as (
      select m.procedure_id, m.organisation_id, m.issuing_agency, m.di, m.lot_number, m.serial_number,
             sum(case m.kind when 'consumed' then m.quantity else -m.quantity end)::int as units
      from c
      join stock_movements m on m.procedure_id = c.procedure_id and m.organisation_id = c.organisation_id
      where m.kind in ('consumed', 'returned-to-stock')
      group by m.procedure_id, m.organisation_id, m.issuing_agency, m.di, m.lot_number, m.serial_number
      having sum(case m.kind when 'consumed' then m.quantity else -m.quantity end) > 0
    )
    select l.procedure_id, l.issuing_agency, l.di, l.lot_number, l.serial_number, l.units,
           p.id as price_id, p.unit_price_minor, p.currency, p.effective_from
    from l
    join c on c.procedure_id = l.procedure_id
    left join lateral (
      select pp.id, pp.unit_price_minor, pp.currency, pp.effective_from
      from product_prices pp
      where pp.organisation_id = l.organisation_id and pp.di = l.di and pp.issuing_agency = l.issuing_agency and pp.effective_from <= c.case_date
      order by pp.effective_from desc, pp.recorded_at desc, pp.id desc
      limit 1
    ) p on true
    order by l.procedure_id, l.di, l.issuing_agency, l.lot_number nulls first, l.serial_number nulls first`.execute(db);
  return rows.rows.map((r) => ({
    procedureId: r.procedure_id,
    issuingAgency: r.issuing_agency,
    di: r.di,
    lotNumber: r.lot_number,
    serialNumber: r.serial_number,
    units: Number(r.units),
    priceId: r.price_id,
    unitPriceMinor: r.unit_price_minor === null ? null : Number(r.unit_price_minor),
    currency: r.currency,
    priceEffectiveFrom: r.effective_from,
  }));
}

/** The currency of each organisation's price list (one per list), for those that have one. */
export async function priceListCurrencies(db: Kysely<Database>, organisationIds: readonly string[]): Promise<Map<string, string>> {
  const ids = [...new Set(organisationIds)];
  if (ids.length === 0) return new Map();
  const rows = await sql<{ organisation_id: string; currency: string }>`
    select o.id as organisation_id, (select pp.currency from product_prices pp where pp.organisation_id = o.id limit 1) as currency
    from unnest(${ids}::uuid[]) as o(id)`.execute(db);
  return new Map(rows.rows.filter((r) => r.currency !== null).map((r) => [r.organisation_id, r.currency]));
}
