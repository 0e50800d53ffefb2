import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { tenancyOf, type RequestContext } from '../../shared/actor.js';
import { survivalTable, type SurvivalGroup } from './kaplan-meier.js';
import { survivalRows, type SurvivalGrouping } from './outcome.repository.js';

/** Days per year for time since implantation (the Julian year, as registries report). */
const DAYS_PER_YEAR = 365.25;

export interface SurvivalQuery {
  readonly groupBy: SurvivalGrouping;
  readonly gtins: readonly string[];
  readonly horizonYears?: number | undefined;
}

export interface SurvivalReport {
  readonly asOf: Date;
  readonly groupBy: SurvivalGrouping;
  /** 'national', or the ODS code of the organisation the figures are limited to. */
  readonly population: string;
  readonly groups: readonly SurvivalGroup[];
}

/**
 * Kaplan–Meier implant survival per product, brand or manufacturer, from the
 * implants the caller may see (an organisation its own, a national key all),
 * censored at now. Aggregates only: no patient leaves this function.
 */
export async function implantSurvival(db: Kysely<Database>, ctx: RequestContext, query: SurvivalQuery, now: Date): Promise<SurvivalReport> {
  const scope = tenancyOf(ctx.actor);
  const rows = await survivalRows(db, { scope, groupBy: query.groupBy, gtins: query.gtins, asOf: now });
  const groups = survivalTable(
    rows.map((r) => ({ group: r.group, label: r.label, time: r.days / DAYS_PER_YEAR, revised: r.revised, count: r.count })),
    query.horizonYears === undefined ? {} : { horizonYears: query.horizonYears },
  );
  return { asOf: now, groupBy: query.groupBy, population: ctx.actor.odsCode ?? 'national', groups };
}
