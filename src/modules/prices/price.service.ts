/**
 * Unit prices: an organisation's price list, as an append-only history. A request (a JSON list, or a CSV
 * import) is recorded all or nothing, in one transaction with its audit row and the answer stored under
 * its Idempotency-Key: a retry records nothing and is answered the first answer.
 */
import { randomUUID } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { formatMinorUnits, toMinorUnits, type Currency } from '../../domain/money.js';
import { requireOrganisation, tenancyOf, type RequestContext } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import { ProblemError } from '../../shared/problem.js';
import { auditRowOf, recordAudit } from '../audit/audit.service.js';
import { findIdempotencyRecords, idempotencyId, storeIdempotentAnswers } from '../idempotency/idempotency.repository.js';
import { requestHash } from '../idempotency/request-hash.js';
import { insertPrices, lockPriceList, priceHistories, priceListCurrency, pricesInForce, pricesOfBatch, type NewPrice, type PriceRow } from './price.repository.js';
import { MAX_CSV_PRICES, PriceEntrySchema, productOfEntry, type PriceEntry } from './price.schemas.js';

/** A bad row of a price list: its CSV line (header: row 1) or its JSON index, and why. */
export interface BadRow {
  readonly row?: number;
  readonly index?: number;
  readonly reasons: readonly string[];
}

/** The most bad rows one problem lists (the count says how many there were). */
const MAX_LISTED_ROWS = 1000;

function refuse(bad: readonly BadRow[], what: string): never {
  const first = bad[0];
  const where = first === undefined ? '' : first.row !== undefined ? `row ${first.row}` : `entry ${first.index}`;
  throw new ProblemError(
    'PRICE_LIST_INVALID',
    `${bad.length} ${bad.length === 1 ? what : `${what}s`} cannot be recorded (first: ${where}: ${first?.reasons.join('; ') ?? ''}). Nothing was recorded.`,
    { invalidRows: bad.length, rows: bad.slice(0, MAX_LISTED_ROWS) },
  );
}

/** The CSV import's columns: the first three required, the others optional (empty cells: not given). */
export const PRICE_CSV_COLUMNS = ['gtin', 'unit_price', 'currency', 'effective_from', 'supplier', 'contract_ref'] as const;
const REQUIRED_COLUMNS = ['gtin', 'unit_price', 'effective_from'] as const;
const FIELD_COLUMN: Readonly<Record<string, string>> = { gtin: 'gtin', hibc: 'gtin', unitPrice: 'unit_price', currency: 'currency', effectiveFrom: 'effective_from', supplier: 'supplier', contractRef: 'contract_ref' };

export type CsvPrices = { readonly ok: true; readonly entries: PriceEntry[] } | { readonly ok: false; readonly rows: BadRow[] };

/**
 * Reads a price list CSV (comma separated, a header row naming the columns in any order, case
 * ignored) into price entries, checking every row by the JSON list's own schema (GTIN check digit,
 * exact decimal unit price, date, lengths) and no product and date twice. A file that cannot be read
 * as CSV, or lacks a required column, is CSV_INVALID; bad rows are all listed, with their line numbers.
 */
export function readPriceCsv(csv: string): CsvPrices {
  let records: string[][];
  try {
    const parsed: unknown = parseCsv(csv, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true });
    records = parsed as string[][];
  } catch (error) {
    throw new ProblemError('CSV_INVALID', `The CSV could not be read: ${error instanceof Error ? error.message : 'unknown error'}. Nothing was recorded.`);
  }
  const [header, ...rows] = records;
  const names = (header ?? []).map((h) => h.trim().toLowerCase());
  const unknown = names.filter((n) => !(PRICE_CSV_COLUMNS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new ProblemError('CSV_INVALID', `Unknown column${unknown.length === 1 ? '' : 's'} ${unknown.map((u) => `"${u}"`).join(', ')}: the columns are ${PRICE_CSV_COLUMNS.join(', ')}. Nothing was recorded.`);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0) throw new ProblemError('CSV_INVALID', `The column "${twice[0]}" is named twice. Nothing was recorded.`);
  const missing = REQUIRED_COLUMNS.filter((c) => !names.includes(c));
  if (missing.length > 0) throw new ProblemError('CSV_INVALID', `The CSV has no ${missing.join(', ')} column (the header row names the columns: ${PRICE_CSV_COLUMNS.join(', ')}). Nothing was recorded.`);
  if (rows.length === 0) throw new ProblemError('CSV_INVALID', 'The CSV has a header row and no prices. Nothing was recorded.');
  if (rows.length > MAX_CSV_PRICES) throw new ProblemError('CSV_INVALID', `The CSV has ${rows.length} prices; one import records at most ${MAX_CSV_PRICES}. Split it. Nothing was recorded.`);

  const at = (cells: readonly string[], column: string) => {
    const i = names.indexOf(column);
    const value = i === -1 ? undefined : cells[i];
    return value === undefined || value === '' ? undefined : value;
  };
  const bad: BadRow[] = [];
  const entries: PriceEntry[] = [];
  const seen = new Map<string, number>();
  for (const [k, cells] of rows.entries()) {
    const row = k + 2;
    const reasons: string[] = [];
    if (cells.length > names.length) reasons.push(`${cells.length} cells, the header names ${names.length} columns`);
    const candidate = {
      gtin: at(cells, 'gtin') ?? '',
      unitPrice: at(cells, 'unit_price') ?? '',
      currency: at(cells, 'currency'),
      effectiveFrom: at(cells, 'effective_from') ?? '',
      supplier: at(cells, 'supplier'),
      contractRef: at(cells, 'contract_ref'),
    };
    const parsed = PriceEntrySchema.safeParse(Object.fromEntries(Object.entries(candidate).filter(([, v]) => v !== undefined)));
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = String(issue.path[0] ?? '');
        const column = FIELD_COLUMN[field] ?? field;
        const message = issue.code === 'invalid_value' && field === 'currency' ? `not a currency of a price list (${issue.values.join(', ')})` : issue.message;
        reasons.push(`${column}: ${message}${column === 'unit_price' || column === 'gtin' || column === 'effective_from' || column === 'currency' ? ` (${JSON.stringify(candidate[field as keyof typeof candidate] ?? '').slice(0, 40)})` : ''}`);
      }
    } else {
      const product = productOfEntry(parsed.data);
      const key = JSON.stringify([product.di, parsed.data.effectiveFrom]);
      const first = seen.get(key);
      if (first !== undefined) reasons.push(`the same gtin and effective_from as row ${first}: one price per product and date`);
      else seen.set(key, row);
      entries.push(parsed.data);
    }
    if (reasons.length > 0) bad.push({ row, reasons: [...new Set(reasons)] });
  }
  return bad.length > 0 ? { ok: false, rows: bad } : { ok: true, entries };
}

/** Another transaction stored an answer under this Idempotency-Key first. */
class IdempotencyRace extends Error {}

/** The price list's rows as the API shows them. */
export function toPriceApi(p: PriceRow) {
  const currency = p.currency as Currency;
  return {
    id: p.id,
    batchId: p.batchId,
    organisation: p.odsCode,
    issuingAgency: p.issuingAgency,
    di: p.di,
    gtin: p.issuingAgency === 'GS1' ? p.di : null,
    hibc: p.issuingAgency === 'HIBCC' ? { lic: p.di.slice(0, 4), pcn: p.di.slice(4, -1), uom: p.di.slice(-1) } : null,
    unitPrice: formatMinorUnits(p.unitPriceMinor, currency),
    unitPriceMinor: p.unitPriceMinor,
    currency,
    effectiveFrom: p.effectiveFrom,
    supplier: p.supplier,
    contractRef: p.contractRef,
    source: p.source,
    recordedAt: p.recordedAt.toISOString(),
  };
}
export type PriceApi = ReturnType<typeof toPriceApi>;

interface Recording {
  readonly route: string;
  readonly source: 'json' | 'csv';
  /** What the request's hash is of: the JSON list, or the CSV text. */
  readonly hashed: unknown;
  readonly entries: readonly PriceEntry[];
  /** How each entry is named in a refusal: its JSON index, or its CSV row. */
  readonly nameOf: (index: number) => Pick<BadRow, 'row' | 'index'>;
}

/**
 * The answer recorded, exactly once per Idempotency-Key (as the stock routes): a retry is answered the
 * first answer; the same key with another request is refused. The price list's currency is checked under
 * the organisation's price list lock, so that two first lists in two currencies cannot both be recorded.
 */
async function record<A>(db: Kysely<Database>, ctx: RequestContext, recording: Recording, idempotencyKey: string, answer: (batchId: string, rows: PriceRow[]) => A): Promise<{ body: A; replayed: boolean }> {
  const organisationId = requireOrganisation(ctx);
  const hash = requestHash(recording.route, recording.hashed);
  for (let attempt = 1; ; attempt++) {
    const earlier = (await findIdempotencyRecords(db, [{ organisationId, key: idempotencyKey }])).get(idempotencyId(organisationId, idempotencyKey));
    if (earlier) {
      if (!earlier.requestHash.equals(hash)) throw new ProblemError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for another request. Use a new key for another price list.');
      return { body: earlier.response as A, replayed: true };
    }
    try {
      const body = await db.transaction().execute(async (trx) => {
        await lockPriceList(trx, organisationId);
        const listCurrency = (await priceListCurrency(trx, organisationId)) ?? recording.entries[0]?.currency ?? null;
        const otherCurrency = recording.entries.flatMap((e, i) =>
          e.currency === listCurrency ? [] : [{ ...recording.nameOf(i), reasons: [`currency: ${e.currency}, but the organisation’s price list is in ${listCurrency ?? ''} (one currency per price list)`] }],
        );
        if (otherCurrency.length > 0) refuse(otherCurrency, recording.source === 'csv' ? 'row' : 'entry');
        const batchId = randomUUID();
        const prices: NewPrice[] = recording.entries.map((e) => {
          const read = toMinorUnits(e.unitPrice, e.currency);
          if (!read.ok) throw new Error('a price entry passed its schema with an unreadable unit price');
          return {
            organisationId,
            batchId,
            source: recording.source,
            ...productOfEntry(e),
            unitPriceMinor: read.minor,
            currency: e.currency,
            effectiveFrom: e.effectiveFrom,
            supplier: e.supplier ?? null,
            contractRef: e.contractRef ?? null,
            actorKeyId: ctx.actor.keyId,
          };
        });
        const recorded = await insertPrices(trx, prices);
        const rows = prices.map((p, i): PriceRow => ({ ...p, odsCode: ctx.actor.odsCode ?? '', id: recorded[i]?.id ?? '', recordedAt: recorded[i]?.recordedAt ?? new Date(0) }));
        const body = answer(batchId, rows);
        const audit = auditRowOf(ctx, { action: recording.source === 'csv' ? 'price.import' : 'price.record', organisationId, detail: { batchId, prices: prices.length } });
        const stored = await storeIdempotentAnswers(trx, [{ organisationId, key: idempotencyKey, requestHash: hash, statusCode: 201, response: body }], [audit]);
        if (stored !== 1) throw new IdempotencyRace();
        return body;
      });
      return { body, replayed: false };
    } catch (error) {
      if (error instanceof IdempotencyRace && attempt < 3) continue;
      throw error;
    }
  }
}

/** Records a JSON list of prices (1 to 1000), answering every row recorded. */
export async function recordPrices(db: Kysely<Database>, ctx: RequestContext, entries: readonly PriceEntry[], idempotencyKey: string) {
  return record(db, ctx, { route: 'POST /v1/prices', source: 'json', hashed: entries, entries, nameOf: (index) => ({ index }) }, idempotencyKey, (batchId, rows) => ({ batchId, prices: rows.map(toPriceApi) }));
}

/** Imports a price list CSV, all or nothing; answers a summary (the rows: GET /v1/prices/batches/{id}). */
export async function importPrices(db: Kysely<Database>, ctx: RequestContext, csv: string, idempotencyKey: string) {
  requireOrganisation(ctx);
  const read = readPriceCsv(csv);
  if (!read.ok) refuse(read.rows, 'row');
  return record(db, ctx, { route: 'POST /v1/prices/import', source: 'csv', hashed: csv, entries: read.entries, nameOf: (i) => ({ row: i + 2 }) }, idempotencyKey, (batchId, rows) => {
    const dates = rows.map((r) => r.effectiveFrom).sort();
    return {
      batchId,
      recorded: rows.length,
      products: new Set(rows.map((r) => `${r.issuingAgency} ${r.di}`)).size,
      currency: (rows[0]?.currency ?? 'GBP') as Currency,
      effectiveFrom: { earliest: dates[0] ?? '', latest: dates.at(-1) ?? '' },
    };
  });
}

/** Opaque cursors: `p1.` + base64url of the last row's id. */
const CURSOR_PREFIX = 'p1.';
const encodeCursor = (id: string) => CURSOR_PREFIX + Buffer.from(id, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const id = cursor.startsWith(CURSOR_PREFIX) ? Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url').toString('utf8') : '';
  if (!/^\d{1,19}$/.test(id) || BigInt(id) > 0x7fff_ffff_ffff_ffffn) throw new ProblemError('CURSOR_INVALID', 'The cursor is not one this list issued. Resume from the last nextCursor received, or start without `cursor`.');
  return id;
}

/** The rows one request recorded, a page at a time (404 when none is the actor's to see), audited. */
export async function getPriceBatch(db: Kysely<Database>, ctx: RequestContext, batchId: string, page: { readonly cursor?: string | undefined; readonly limit: number }) {
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  const rows = await pricesOfBatch(db, tenancyOf(ctx.actor), batchId, { ...(after !== undefined && { after }), limit: page.limit });
  if (rows.length === 0 && after === undefined) throw new ProblemError('NOT_FOUND', 'No price list batch of this id here.');
  await recordAudit(db, ctx, { action: 'price.batch.read', organisationId: rows[0]?.organisationId ?? ctx.actor.organisationId, detail: { batchId, results: rows.length } });
  const last = rows.at(-1);
  return { batchId, prices: rows.map(toPriceApi), nextCursor: rows.length === page.limit && last !== undefined ? encodeCursor(last.id) : null };
}

const dateInLondon = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The service's date where the hospitals are (Europe/London). */
export const londonDate = (at: Date) => dateInLondon.format(at);

/** The status of each row of a product's history (latest effective first, then latest recorded first) on a date. */
function historyStatuses(history: readonly PriceRow[], on: string, inForceId: string | undefined) {
  const seenDates = new Set<string>();
  return history.map((p) => {
    const corrected = seenDates.has(p.effectiveFrom);
    seenDates.add(p.effectiveFrom);
    const status = p.id === inForceId ? 'in-force' : p.effectiveFrom > on ? 'future' : corrected ? 'corrected' : 'superseded';
    return { ...toPriceApi(p), status } as const;
  });
}

/** The price in force on a date (default today in London): of one product, or of every product priced; with their histories when asked. Audited. */
export async function pricesOn(db: Kysely<Database>, ctx: RequestContext, query: { readonly gtin?: string | undefined; readonly on?: string | undefined; readonly history: boolean }, clock: Clock) {
  const scope = tenancyOf(ctx.actor);
  const on = query.on ?? londonDate(clock.now());
  const product = query.gtin === undefined ? undefined : { issuingAgency: 'GS1', di: query.gtin };
  const inForce = await pricesInForce(db, scope, on, product);
  const histories = query.history ? await priceHistories(db, scope, product !== undefined ? [product] : inForce) : [];
  await recordAudit(db, ctx, { action: 'price.read', organisationId: ctx.actor.organisationId, detail: { on, results: inForce.length, ...(query.gtin !== undefined && { gtin: query.gtin }) } });
  const key = (p: PriceRow) => `${p.organisationId} ${p.issuingAgency} ${p.di}`;
  const byProduct = new Map<string, PriceRow[]>();
  for (const p of histories) byProduct.set(key(p), [...(byProduct.get(key(p)) ?? []), p]);
  return {
    on,
    items: inForce.map((p) => ({ ...toPriceApi(p), ...(query.history && { history: historyStatuses(byProduct.get(key(p)) ?? [], on, p.id) }) })),
  };
}
