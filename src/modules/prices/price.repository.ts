/**
 * The price list's history (`product_prices`, append-only): the only place price SQL lives. The price
 * in force on a date is the row with the latest `effective_from` on or before it, the latest recorded
 * among those (a correction): one entry of the `product_prices_in_force` index per product.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, ProductPricesTable } from '../../db/database.js';
import type { TenancyScope } from '../../shared/actor.js';

export interface NewPrice {
  readonly organisationId: string;
  readonly batchId: string;
  readonly source: 'json' | 'csv';
  readonly issuingAgency: 'GS1' | 'HIBCC';
  readonly di: string;
  readonly unitPriceMinor: number;
  readonly currency: string;
  readonly effectiveFrom: string;
  readonly supplier: string | null;
  readonly contractRef: string | null;
  readonly actorKeyId: string;
}

export interface PriceRow extends NewPrice {
  readonly id: string;
  readonly odsCode: string;
  readonly recordedAt: Date;
}

type Row = Selectable<ProductPricesTable> & { ods_code: string };

const toPrice = (r: Row): PriceRow => ({
  id: r.id,
  organisationId: r.organisation_id,
  odsCode: r.ods_code,
  batchId: r.batch_id,
  source: r.source,
  issuingAgency: r.issuing_agency,
  di: r.di,
  unitPriceMinor: Number(r.unit_price_minor),
  currency: r.currency,
  effectiveFrom: r.effective_from,
  supplier: r.supplier,
  contractRef: r.contract_ref,
  actorKeyId: r.actor_key_id,
  recordedAt: r.recorded_at,
});

/**
 * Serialises the writers of one organisation's price list until the transaction ends (a transaction-level
 * advisory lock), so that two first lists in different currencies cannot both be recorded.
 */
export async function lockPriceList(db: Kysely<Database>, organisationId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`product_prices:${organisationId}`}, 0))`.execute(db);
}

/** The currency of the organisation's price list (its first row's: the list has one), or null when it has none. */
export async function priceListCurrency(db: Kysely<Database>, organisationId: string): Promise<string | null> {
  const row = await db.selectFrom('product_prices').select('currency').where('organisation_id', '=', organisationId).limit(1).executeTakeFirst();
  return row?.currency ?? null;
}

/** Records prices in one statement (arrays unnested: any number of rows, one round trip), in the order given. */
export async function insertPrices(db: Kysely<Database>, prices: readonly NewPrice[]): Promise<Array<{ id: string; recordedAt: Date }>> {
  if (prices.length === 0) return [];
  const col = <T>(f: (p: NewPrice) => T) => prices.map(f);
  const rows = await sql<{ id: string; recorded_at: Date }>`
    insert into product_prices (organisation_id, batch_id, source, issuing_agency, di, unit_price_minor, currency, effective_from, supplier, contract_ref, actor_key_id)
    select organisation_id, batch_id, source, issuing_agency, di, unit_price_minor, currency, effective_from, supplier, contract_ref, actor_key_id
    from unnest(
      ${col((p) => p.organisationId)}::uuid[], ${col((p) => p.batchId)}::uuid[], ${col((p) => p.source)}::text[],
      ${col((p) => p.issuingAgency)}::text[], ${col((p) => p.di)}::text[], ${col((p) => String(p.unitPriceMinor))}::bigint[],
      ${col((p) => p.currency)}::text[], ${col((p) => p.effectiveFrom)}::date[], ${col((p) => p.supplier)}::text[],
      ${col((p) => p.contractRef)}::text[], ${col((p) => p.actorKeyId)}::uuid[]
    ) with ordinality as u(organisation_id, batch_id, source, issuing_agency, di, unit_price_minor, currency, effective_from, supplier, contract_ref, actor_key_id, n)
    order by n
    returning id, recorded_at`.execute(db);
  // Identities are drawn in the order the rows are inserted (`order by n`): the ids' order is the order given.
  return rows.rows.map((r) => ({ id: r.id, recordedAt: r.recorded_at })).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
}

const withOrganisation = (db: Kysely<Database>) =>
  db.selectFrom('product_prices as p').innerJoin('organisations as o', 'o.id', 'p.organisation_id').selectAll('p').select('o.ods_code');

/** A page of the rows one request recorded, in order, after a row id (none when the batch is another organisation's). */
export async function pricesOfBatch(db: Kysely<Database>, scope: TenancyScope, batchId: string, page: { readonly after?: string; readonly limit: number }): Promise<PriceRow[]> {
  let q = withOrganisation(db).where('p.batch_id', '=', batchId);
  if (scope.kind === 'organisation') q = q.where('p.organisation_id', '=', scope.organisationId);
  if (page.after !== undefined) q = q.where('p.id', '>', page.after);
  return (await q.orderBy('p.id').limit(page.limit).execute()).map(toPrice);
}

export interface PriceProduct {
  readonly issuingAgency: string;
  readonly di: string;
}

/**
 * The price in force on a date: of one product (the first row of the in-force index from the date
 * back), or of every product priced then (`distinct on` over the same order); per organisation in scope.
 */
export async function pricesInForce(db: Kysely<Database>, scope: TenancyScope, on: string, product?: PriceProduct): Promise<PriceRow[]> {
  let q = withOrganisation(db).where('p.effective_from', '<=', on);
  if (scope.kind === 'organisation') q = q.where('p.organisation_id', '=', scope.organisationId);
  if (product !== undefined) q = q.where('p.di', '=', product.di).where('p.issuing_agency', '=', product.issuingAgency as 'GS1' | 'HIBCC');
  const rows = await q
    .distinctOn(['p.organisation_id', 'p.di', 'p.issuing_agency'])
    .orderBy('p.organisation_id')
    .orderBy('p.di')
    .orderBy('p.issuing_agency')
    .orderBy('p.effective_from', 'desc')
    .orderBy('p.recorded_at', 'desc')
    .orderBy('p.id', 'desc')
    .execute();
  return rows.map(toPrice);
}

/** Every row of these products' price histories (per organisation in scope), latest effective first, then latest recorded first. */
export async function priceHistories(db: Kysely<Database>, scope: TenancyScope, products: readonly PriceProduct[]): Promise<PriceRow[]> {
  if (products.length === 0) return [];
  // The products as a relation (any number of them, one statement): each probes the in-force index.
  const wanted = sql<{ di: string; issuing_agency: string }>`(select distinct * from unnest(${products.map((p) => p.di)}::text[], ${products.map((p) => p.issuingAgency)}::text[]) as w(di, issuing_agency))`;
  let q = withOrganisation(db).innerJoin(wanted.as('w'), (join) => join.onRef('w.di', '=', 'p.di').onRef('w.issuing_agency', '=', 'p.issuing_agency'));
  if (scope.kind === 'organisation') q = q.where('p.organisation_id', '=', scope.organisationId);
  const rows = await q.orderBy('p.organisation_id').orderBy('p.di').orderBy('p.issuing_agency').orderBy('p.effective_from', 'desc').orderBy('p.recorded_at', 'desc').orderBy('p.id', 'desc').execute();
  return rows.map(toPrice);
}
