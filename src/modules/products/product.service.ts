import { parse as parseCsv } from 'csv-parse/sync';
import type { Kysely } from 'kysely';
import { parseBarcode } from '../../barcode/index.js';
import { gs1CheckDigit } from '../../barcode/gs1/check-digit.js';
import type { Database } from '../../db/database.js';
import type { RequestContext } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import { ProblemError } from '../../shared/problem.js';
import { recordAudit } from '../audit/audit.service.js';
import { findProductByDi, upsertProducts, type Product, type ProductInput, type ProductionIdentifiers } from './product.repository.js';

export interface ProductFields {
  readonly brand?: string | undefined;
  readonly model?: string | undefined;
  readonly manufacturer?: string | undefined;
  readonly description?: string | undefined;
  readonly implantable?: boolean | undefined;
  readonly productionIdentifiers?: Partial<Record<keyof ProductionIdentifiers, boolean | undefined>> | undefined;
}

export async function putProduct(db: Kysely<Database>, ctx: RequestContext, gtin: string, fields: ProductFields, clock: Clock): Promise<Product> {
  return db.transaction().execute(async (trx) => {
    const [product] = await upsertProducts(
      trx,
      [
        {
          di: gtin,
          issuingAgency: 'GS1',
          brand: fields.brand ?? null,
          model: fields.model ?? null,
          manufacturer: fields.manufacturer ?? null,
          description: fields.description ?? null,
          implantable: fields.implantable ?? null,
          productionIdentifiers: fields.productionIdentifiers
            ? {
                lotNumber: fields.productionIdentifiers.lotNumber ?? null,
                serialNumber: fields.productionIdentifiers.serialNumber ?? null,
                expirationDate: fields.productionIdentifiers.expirationDate ?? null,
                manufacturingDate: fields.productionIdentifiers.manufacturingDate ?? null,
              }
            : null,
          source: 'api',
        },
      ],
      ctx.actor.keyId,
      clock.now(),
    );
    await recordAudit(trx, ctx, { action: 'product.upsert', detail: { di: gtin } });
    return product as Product;
  });
}

export async function getProduct(db: Kysely<Database>, di: string): Promise<Product> {
  const product = await findProductByDi(db, di);
  if (!product) throw new ProblemError('NOT_FOUND', `No product ${di} in the catalogue.`);
  return product;
}

/** GUDID device-file columns (and common spellings of them), normalised: lower case, letters and digits only. */
const COLUMNS = {
  di: ['primarydi', 'primarydinumber', 'di', 'deviceidentifier'],
  agency: ['issuingagency', 'deviceidissuingagency'],
  brand: ['brandname', 'brand'],
  model: ['versionmodelnumber', 'versionormodel', 'model'],
  manufacturer: ['companyname', 'manufacturer', 'labelername'],
  description: ['devicedescription', 'description'],
  implantable: ['implantable', 'deviceimplantable', 'isimplantable'],
  // GUDID's production identifier flags: which of them the label carries.
  lotBatch: ['lotbatch', 'lotnumber', 'lot'],
  serialNumber: ['serialnumber', 'serial'],
  expirationDate: ['expirationdate', 'expirydate'],
  manufacturingDate: ['manufacturingdate'],
} as const;

const normaliseHeader = (h: string) => h.toLowerCase().replace(/[^a-z0-9]/g, '');

export interface ImportReport {
  readonly total: number;
  readonly accepted: number;
  readonly rejected: ReadonlyArray<{ readonly row: number; readonly primaryDi: string | null; readonly reason: string }>;
}

/** Classifies a DI as GUDID lists it: a GTIN (normalised to 14 digits), an HIBC LIC+PCN+UoM, or an ISBT 128 code. */
function classifyDi(raw: string, agency: string | undefined): { di: string; issuingAgency: ProductInput['issuingAgency'] } | string {
  const value = raw.trim();
  const stated = agency?.trim().toUpperCase();
  if (/^\d{8}$|^\d{12,14}$/.test(value) && (stated === undefined || stated === '' || stated === 'GS1')) {
    return gs1CheckDigit(value.slice(0, -1)) === value.slice(-1) ? { di: value.padStart(14, '0'), issuingAgency: 'GS1' } : 'GTIN check digit is wrong';
  }
  if (stated === 'HIBCC' || value.startsWith('+')) {
    const body = value.replace(/^\+/, '');
    if (!/^[A-Z][A-Z0-9]{3}[A-Z0-9]{1,18}[0-9][A-Z0-9\-. $/+%]?$/.test(body)) return 'not an HIBC device identifier (LIC, product code, unit of measure)';
    const withCheck = parseBarcode(`+${body}`);
    return { di: withCheck.valid && withCheck.di !== undefined ? withCheck.di : body, issuingAgency: 'HIBCC' };
  }
  if (stated === 'ICCBBA' && /^[A-Z0-9]{6,18}$/.test(value)) return { di: value, issuingAgency: 'ICCBBA' };
  return 'not a GTIN, HIBC or ISBT 128 device identifier';
}

/** At most `max` UTF-16 units, never cutting a surrogate pair in half (a lone half would be stored as U+FFFD). */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

function parseBoolean(value: string | undefined): boolean | null | 'invalid' {
  if (value === undefined || value.trim() === '') return null;
  const v = value.trim().toLowerCase();
  if (['true', 'y', 'yes', '1'].includes(v)) return true;
  if (['false', 'n', 'no', '0'].includes(v)) return false;
  return 'invalid';
}

/**
 * Imports catalogue rows from CSV in the FDA GUDID device-file column names
 * (pipe, comma, tab or semicolon separated). Every row is accepted or
 * rejected with its reason; accepted rows are upserted by DI.
 */
export async function importProducts(db: Kysely<Database>, ctx: RequestContext, csv: string, clock: Clock): Promise<ImportReport> {
  const firstLine = csv.slice(0, csv.indexOf('\n') === -1 ? csv.length : csv.indexOf('\n'));
  const delimiter = ['|', '\t', ',', ';'].reduce((best, d) => (firstLine.split(d).length > firstLine.split(best).length ? d : best), ',');
  let records: string[][];
  try {
    const parsed: unknown = parseCsv(csv, { delimiter, bom: true, skip_empty_lines: true, relax_column_count: true, trim: true });
    records = parsed as string[][];
  } catch (error) {
    throw new ProblemError('CSV_INVALID', `The CSV could not be read: ${error instanceof Error ? error.message : 'unknown error'}.`);
  }
  const [header, ...rows] = records;
  const index = new Map((header ?? []).map((h, i) => [normaliseHeader(h), i]));
  const column = (names: readonly string[]) => names.map((n) => index.get(n)).find((i) => i !== undefined);
  const at = Object.fromEntries(Object.entries(COLUMNS).map(([k, names]) => [k, column(names)])) as Record<keyof typeof COLUMNS, number | undefined>;
  if (at.di === undefined) throw new ProblemError('CSV_INVALID', 'The CSV has no primary DI column (GUDID: PrimaryDI).');

  const accepted: ProductInput[] = [];
  const rejected: Array<{ row: number; primaryDi: string | null; reason: string }> = [];
  const seen = new Map<string, number>();
  rows.forEach((cells, i) => {
    const row = i + 2; // 1-based, after the header
    const get = (k: keyof typeof COLUMNS) => (at[k] === undefined ? undefined : cells[at[k]]);
    const rawDi = get('di') ?? '';
    if (rawDi.trim() === '') return rejected.push({ row, primaryDi: null, reason: 'primary DI is empty' });
    const di = classifyDi(rawDi, get('agency'));
    if (typeof di === 'string') return rejected.push({ row, primaryDi: rawDi, reason: di });
    const implantable = parseBoolean(get('implantable'));
    if (implantable === 'invalid') return rejected.push({ row, primaryDi: rawDi, reason: 'implantable must be true/false, yes/no, Y/N or 1/0' });
    const flags = { lotNumber: parseBoolean(get('lotBatch')), serialNumber: parseBoolean(get('serialNumber')), expirationDate: parseBoolean(get('expirationDate')), manufacturingDate: parseBoolean(get('manufacturingDate')) };
    const badFlag = Object.entries(flags).find(([, v]) => v === 'invalid');
    if (badFlag) return rejected.push({ row, primaryDi: rawDi, reason: `${badFlag[0]} must be true/false, yes/no, Y/N or 1/0` });
    const known = (v: boolean | null | 'invalid') => (v === 'invalid' ? null : v);
    const text = (k: keyof typeof COLUMNS, max: number) => {
      const v = get(k)?.trim();
      return v ? truncate(v, max) : null;
    };
    const earlier = seen.get(di.di);
    if (earlier !== undefined) return rejected.push({ row, primaryDi: rawDi, reason: `the same DI as row ${earlier}` });
    seen.set(di.di, row);
    accepted.push({
      ...di,
      brand: text('brand', 200),
      model: text('model', 200),
      manufacturer: text('manufacturer', 200),
      description: text('description', 2000),
      implantable,
      productionIdentifiers: Object.values(flags).every((v) => v === null)
        ? null
        : { lotNumber: known(flags.lotNumber), serialNumber: known(flags.serialNumber), expirationDate: known(flags.expirationDate), manufacturingDate: known(flags.manufacturingDate) },
      source: 'gudid-import',
    });
    return undefined;
  });

  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < accepted.length; i += 500) await upsertProducts(trx, accepted.slice(i, i + 500), ctx.actor.keyId, clock.now());
    await recordAudit(trx, ctx, { action: 'product.import', detail: { accepted: accepted.length, rejected: rejected.length } });
  });
  return { total: rows.length, accepted: accepted.length, rejected };
}
