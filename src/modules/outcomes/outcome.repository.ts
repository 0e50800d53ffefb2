import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { TenancyScope } from '../../shared/actor.js';
import { catalogueColumn } from '../products/product.repository.js';

export const SURVIVAL_GROUPINGS = ['product', 'brand', 'manufacturer'] as const;
export type SurvivalGrouping = (typeof SURVIVAL_GROUPINGS)[number];

/** Implants of one group with the same follow-up in days and the same outcome. */
export interface SurvivalRow {
  readonly group: string;
  readonly label: string;
  readonly days: number;
  readonly revised: boolean;
  readonly count: number;
}

/**
 * Implanted devices (active, with a device identifier) and their time to
 * revision or to the end of follow-up, in whole days, aggregated in the
 * database so a national query returns one row per group, day and outcome
 * instead of one per implant. Time zero is the start of the implant
 * operation; an implant is revised when a live explant is linked to it (at
 * any organisation). Follow-up ends at `asOf`; implants after it are left out.
 */
export async function survivalRows(
  db: Kysely<Database>,
  input: { scope: TenancyScope; groupBy: SurvivalGrouping; gtins: readonly string[]; asOf: Date },
): Promise<SurvivalRow[]> {
  const groupKey =
    input.groupBy === 'product'
      ? sql<string>`i.di`
      : input.groupBy === 'brand'
        ? sql<string>`coalesce(i.brand, '')`
        : sql<string>`coalesce(i.manufacturer, '')`;
  const label =
    input.groupBy === 'product'
      ? sql<string>`max(concat_ws(' ', coalesce(i.brand, 'Unknown product'), i.model, '(' || i.di || ')'))`
      : input.groupBy === 'brand'
        ? sql<string>`coalesce(max(i.brand), 'Unknown brand')`
        : sql<string>`coalesce(max(i.manufacturer), 'Unknown manufacturer')`;
  const result = await sql<{ group_key: string; label: string; days: number; revised: boolean; count: string }>`
    with implants as (
      select i.di, i.procedure_started_at as implanted_at, ${catalogueColumn('brand')} as brand, ${catalogueColumn('model')} as model,
             ${catalogueColumn('manufacturer')} as manufacturer,
             (select e.procedure_started_at from items e
               where e.id = i.explanted_by_item_id and e.status = 'active' and e.procedure_started_at <= ${input.asOf}) as revised_at
      from items i
      left join products pr on pr.di = i.di
      left join product_overrides po on po.organisation_id = i.organisation_id and po.di = i.di
      where i.action = 'implanted' and i.status = 'active' and i.di is not null
        -- Only what went into a patient: not an item put aside, nor one still awaiting that decision.
        and (i.decision_status is null or i.decision_status = 'implanted')
        and i.procedure_started_at <= ${input.asOf}
        ${input.scope.kind === 'organisation' ? sql`and i.organisation_id = ${input.scope.organisationId}` : sql``}
        ${input.gtins.length > 0 ? sql`and i.gtin in (${sql.join([...input.gtins])})` : sql``}
    )
    select ${groupKey} as group_key, ${label} as label,
           floor(extract(epoch from (coalesce(i.revised_at, ${input.asOf}::timestamptz) - i.implanted_at)) / 86400)::int as days,
           i.revised_at is not null as revised,
           count(*) as count
    from implants i
    group by 1, 3, 4
    order by 1, 3, 4
  `.execute(db);
  return result.rows.map((r) => ({ group: r.group_key, label: r.label, days: r.days, revised: r.revised, count: Number(r.count) }));
}
