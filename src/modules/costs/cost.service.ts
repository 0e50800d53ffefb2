/**
 * Cost per case (issue 17): each procedure's consumption at the point of use, priced at the unit prices
 * in force on its date (Europe/London), never silently low (units without a price make the case
 * incomplete), and the spread of case costs by procedure code and lead clinician with the distinct unit
 * prices paid per product (how GIRFT found the same screw bought at £150 and at £650).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { caseCost, spreadOf, type CaseCost } from '../../domain/cost.js';
import { DEFAULT_CURRENCY, formatMinorUnits, type Currency } from '../../domain/money.js';
import { tenancyOf, type RequestContext } from '../../shared/actor.js';
import { csvLine } from '../../shared/csv.js';
import { ProblemError } from '../../shared/problem.js';
import { recordAudit, recordListAudit } from '../audit/audit.service.js';
import { findProductsFor } from '../products/product.repository.js';
import { caseOf, casesStarted, consumptionOf, priceListCurrencies, type CaseRow, type ConsumedLine } from './cost.repository.js';
import type { CostPerCaseReport, CostSpreadReport } from './cost.schemas.js';

interface CostedCase {
  readonly row: CaseRow;
  readonly lines: readonly ConsumedLine[];
  readonly cost: CaseCost;
  readonly currency: Currency;
}

/** The cases with their lines and costs, in the currency of their organisation's price list. */
async function costed(db: Kysely<Database>, cases: readonly CaseRow[]): Promise<CostedCase[]> {
  const lines = await consumptionOf(db, cases);
  const currencies = await priceListCurrencies(db, cases.map((c) => c.organisationId));
  const byCase = new Map<string, ConsumedLine[]>();
  for (const l of lines) {
    const list = byCase.get(l.procedureId);
    if (list === undefined) byCase.set(l.procedureId, [l]);
    else list.push(l);
  }
  return cases.map((row) => {
    const own = byCase.get(row.procedureId) ?? [];
    return { row, lines: own, cost: caseCost(own), currency: (currencies.get(row.organisationId) ?? DEFAULT_CURRENCY) as Currency };
  });
}

const caseView = (c: CostedCase) => ({
  procedureId: c.row.procedureId,
  organisation: c.row.odsCode,
  startedAt: c.row.startedAt.toISOString(),
  date: c.row.caseDate,
  procedureCode: c.row.procedureCode,
  status: c.row.status,
  leadClinician: c.row.leadClinician,
  location: c.row.location,
  units: c.cost.units,
  pricedUnits: c.cost.pricedUnits,
  unpricedUnits: c.cost.unpricedUnits,
  currency: c.currency,
  cost: formatMinorUnits(c.cost.costMinor, c.currency),
  costMinor: c.cost.costMinor,
  complete: c.cost.complete,
});

/** One procedure's cost with its lines (404 when the actor may not see it), audited. */
export async function procedureCost(db: Kysely<Database>, ctx: RequestContext, procedureId: string) {
  const row = await caseOf(db, tenancyOf(ctx.actor), procedureId);
  if (row === undefined) throw new ProblemError('NOT_FOUND', 'No procedure of this id here.');
  const [c] = await costed(db, [row]);
  if (c === undefined) throw new Error('a case went missing while being costed');
  const products = await findProductsFor(db, row.organisationId, [...new Set(c.lines.map((l) => l.di))]);
  await recordAudit(db, ctx, { action: 'procedure.cost.read', organisationId: row.organisationId, procedureIds: [row.procedureId], patientIds: [row.patientId] });
  return {
    ...caseView(c),
    lines: c.lines.map((l) => {
      const lineMinor = l.unitPriceMinor === null ? null : l.units * l.unitPriceMinor;
      return {
        issuingAgency: l.issuingAgency,
        di: l.di,
        gtin: l.issuingAgency === 'GS1' ? l.di : null,
        lotNumber: l.lotNumber,
        serialNumber: l.serialNumber,
        brand: products.get(l.di)?.brand ?? null,
        model: products.get(l.di)?.model ?? null,
        units: l.units,
        priced: l.unitPriceMinor !== null,
        unitPrice: l.unitPriceMinor === null ? null : formatMinorUnits(l.unitPriceMinor, c.currency),
        unitPriceMinor: l.unitPriceMinor,
        priceEffectiveFrom: l.priceEffectiveFrom,
        priceId: l.priceId,
        lineCost: lineMinor === null ? null : formatMinorUnits(lineMinor, c.currency),
        lineCostMinor: lineMinor,
      };
    }),
  };
}

/** Every procedure started in the period (London dates, both included) with its cost, audited as a report read. */
export async function costPerCase(db: Kysely<Database>, ctx: RequestContext, from: string, to: string): Promise<CostPerCaseReport> {
  const cases = await costed(db, await casesStarted(db, tenancyOf(ctx.actor), from, to));
  await recordListAudit(db, ctx, 'report.cost-per-case', cases.map((c) => c.row), { from, to, cases: cases.length });
  return { from, to, timeZone: 'Europe/London', cases: cases.map(caseView), incompleteCases: cases.filter((c) => !c.cost.complete).length };
}

export const COST_PER_CASE_CSV_COLUMNS = [
  'organisation',
  'procedure_id',
  'started_at',
  'date',
  'procedure_code',
  'status',
  'lead_clinician',
  'lead_clinician_gsrn',
  'location_gln',
  'units',
  'priced_units',
  'unpriced_units',
  'currency',
  'cost',
  'complete',
] as const;

export function costPerCaseCsv(report: CostPerCaseReport): string {
  return (
    csvLine(COST_PER_CASE_CSV_COLUMNS) +
    report.cases
      .map((c) =>
        csvLine([
          c.organisation,
          c.procedureId,
          c.startedAt,
          c.date,
          c.procedureCode,
          c.status,
          c.leadClinician?.name ?? c.leadClinician?.localId ?? c.leadClinician?.gsrn,
          c.leadClinician?.gsrn,
          c.location?.gln,
          c.units,
          c.pricedUnits,
          c.unpricedUnits,
          c.currency,
          c.cost,
          String(c.complete),
        ]),
      )
      .join('')
  );
}

function grouped<K>(cases: readonly CostedCase[], keyOf: (c: CostedCase) => K & { readonly currency: Currency }) {
  const groups = new Map<string, { key: K & { readonly currency: Currency }; cases: CostedCase[] }>();
  for (const c of cases) {
    const key = keyOf(c);
    const id = JSON.stringify(key);
    const group = groups.get(id);
    if (group === undefined) groups.set(id, { key, cases: [c] });
    else group.cases.push(c);
  }
  return [...groups.values()].map(({ key, cases: members }) => {
    const s = spreadOf(members.map((m) => m.cost));
    const fmt = (v: number | null) => (v === null ? null : formatMinorUnits(v, key.currency));
    return { ...key, cases: s.cases, incompleteCases: s.incompleteCases, casesWithoutConsumption: s.casesWithoutConsumption, min: fmt(s.minMinor), median: fmt(s.medianMinor), max: fmt(s.maxMinor), mean: fmt(s.meanMinor) };
  });
}

const compareNullsLast = (a: string | null | undefined, b: string | null | undefined) => (a === b ? 0 : a === null || a === undefined ? 1 : b === null || b === undefined ? -1 : a < b ? -1 : 1);

/** The spread of case costs by procedure code and by lead clinician, and the distinct unit prices paid per product; audited as a report read. */
export async function costSpread(db: Kysely<Database>, ctx: RequestContext, from: string, to: string): Promise<CostSpreadReport> {
  const cases = await costed(db, await casesStarted(db, tenancyOf(ctx.actor), from, to));
  await recordAudit(db, ctx, { action: 'report.cost-spread', organisationId: ctx.actor.organisationId, detail: { from, to, cases: cases.length } });

  const byProcedureCode = grouped(cases, (c) => ({ procedureCode: c.row.procedureCode, currency: c.currency })).sort(
    (a, b) => compareNullsLast(a.procedureCode, b.procedureCode) || compareNullsLast(a.currency, b.currency),
  );
  const byLeadClinician = grouped(cases, (c) => ({ organisation: c.row.odsCode, leadClinician: c.row.leadClinician, currency: c.currency })).sort(
    (a, b) =>
      compareNullsLast(a.organisation, b.organisation) ||
      compareNullsLast(a.leadClinician?.name ?? a.leadClinician?.localId ?? a.leadClinician?.gsrn, b.leadClinician?.name ?? b.leadClinician?.localId ?? b.leadClinician?.gsrn) ||
      compareNullsLast(a.leadClinician?.staffId, b.leadClinician?.staffId),
  );

  // Per product and currency: each unit price paid, with its units, cases and organisations.
  interface Paid { units: number; cases: Set<string>; organisations: Set<string> }
  const products = new Map<string, { issuingAgency: string; di: string; currency: Currency; organisationId: string; prices: Map<number, Paid>; unpricedUnits: number }>();
  for (const c of cases) {
    for (const l of c.lines) {
      const id = JSON.stringify([l.issuingAgency, l.di, c.currency]);
      let product = products.get(id);
      if (product === undefined) {
        product = { issuingAgency: l.issuingAgency, di: l.di, currency: c.currency, organisationId: c.row.organisationId, prices: new Map(), unpricedUnits: 0 };
        products.set(id, product);
      }
      if (l.unitPriceMinor === null) {
        product.unpricedUnits += l.units;
        continue;
      }
      const paid = product.prices.get(l.unitPriceMinor) ?? { units: 0, cases: new Set<string>(), organisations: new Set<string>() };
      paid.units += l.units;
      paid.cases.add(c.row.procedureId);
      paid.organisations.add(c.row.odsCode);
      product.prices.set(l.unitPriceMinor, paid);
    }
  }
  const byOrganisation = new Map<string, string[]>();
  for (const p of products.values()) byOrganisation.set(p.organisationId, [...(byOrganisation.get(p.organisationId) ?? []), p.di]);
  const catalogues = new Map(await Promise.all([...byOrganisation].map(async ([org, dis]) => [org, await findProductsFor(db, org, [...new Set(dis)])] as const)));
  const productRows = [...products.values()]
    .map((p) => {
      const facts = catalogues.get(p.organisationId)?.get(p.di);
      return {
        issuingAgency: p.issuingAgency,
        di: p.di,
        gtin: p.issuingAgency === 'GS1' ? p.di : null,
        brand: facts?.brand ?? null,
        model: facts?.model ?? null,
        currency: p.currency,
        distinctPrices: p.prices.size,
        prices: [...p.prices]
          .sort(([a], [b]) => a - b)
          .map(([minorUnits, paid]) => ({ unitPrice: formatMinorUnits(minorUnits, p.currency), unitPriceMinor: minorUnits, units: paid.units, cases: paid.cases.size, organisations: [...paid.organisations].sort() })),
        unpricedUnits: p.unpricedUnits,
      };
    })
    .sort((a, b) => b.distinctPrices - a.distinctPrices || compareNullsLast(a.di, b.di) || compareNullsLast(a.currency, b.currency));

  return { from, to, timeZone: 'Europe/London', byProcedureCode, byLeadClinician, products: productRows };
}

export const COST_SPREAD_CSV_COLUMNS = [
  'dimension',
  'key',
  'name',
  'organisation',
  'currency',
  'cases',
  'incomplete_cases',
  'cases_without_consumption',
  'min_cost',
  'median_cost',
  'max_cost',
  'mean_cost',
  'unit_price',
  'units',
  'price_cases',
] as const;

/** One table: a row per procedure code, per lead clinician, and per product and unit price paid (`dimension` says which). */
export function costSpreadCsv(report: CostSpreadReport): string {
  const spread = (g: Omit<CostSpreadReport['byProcedureCode'][number], 'procedureCode'>) => [g.currency, g.cases, g.incompleteCases, g.casesWithoutConsumption, g.min, g.median, g.max, g.mean, null, null, null];
  return (
    csvLine(COST_SPREAD_CSV_COLUMNS) +
    report.byProcedureCode.map((g) => csvLine(['procedure-code', g.procedureCode, null, null, ...spread(g)])).join('') +
    report.byLeadClinician.map((g) => csvLine(['lead-clinician', g.leadClinician?.gsrn ?? g.leadClinician?.localId ?? g.leadClinician?.staffId, g.leadClinician?.name, g.organisation, ...spread(g)])).join('') +
    report.products
      .flatMap((p) => p.prices.map((price) => csvLine(['product-price', p.di, [p.brand, p.model].filter((x) => x !== null).join(' ') || null, price.organisations.join(' '), p.currency, null, null, null, null, null, null, null, price.unitPrice, price.units, price.cases])))
      .join('')
  );
}
