import { parse as parseCsv } from 'csv-parse/sync';
import type { Kysely } from 'kysely';
import { parseBarcode } from '../../barcode/index.js';
import { gs1CheckDigit } from '../../barcode/gs1/check-digit.js';
import type { Database } from '../../db/database.js';
import { BEARINGS, COMPONENTS, LATERALITIES, type ClinicalAttributes } from '../../domain/compatibility/attributes.js';
import { tenancyOf, type RequestContext } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import { ProblemError } from '../../shared/problem.js';
import { recordAudit } from '../audit/audit.service.js';
import { deriveForProduct, type ProductEvidence, type RowReason } from './gudid-clinical.js';
import {
  canonical,
  findProduct,
  layerRowsForUpdate,
  nationalFacts,
  productChanges,
  writeLayer,
  type CatalogueLayer,
  type Product,
  type ProductChange,
  type ProductFacts,
  type ProductInput,
  type ProductionIdentifiers,
} from './product.repository.js';

/** The fields a writer sends: absent leaves a value as it is (PATCH) or unset (PUT); null unsets it. */
export interface ProductFields {
  readonly brand?: string | null | undefined;
  readonly model?: string | null | undefined;
  readonly manufacturer?: string | null | undefined;
  readonly description?: string | null | undefined;
  readonly implantable?: boolean | null | undefined;
  readonly productionIdentifiers?: Partial<Record<keyof ProductionIdentifiers, boolean | null | undefined>> | null | undefined;
  /** Replaced whole; attributes not sent are unknown. */
  readonly clinical?: ClinicalInput | null | undefined;
}

/** Clinical attributes as a writer sends them: the component, and whatever else is known. */
export type ClinicalInput = Pick<ClinicalAttributes, 'component'> & { readonly [K in Exclude<keyof ClinicalAttributes, 'component'>]?: ClinicalAttributes[K] | undefined };

/** Every attribute present: unknown ones null. */
export function clinicalOf(input: ClinicalInput): ClinicalAttributes {
  return {
    component: input.component,
    laterality: input.laterality ?? null,
    system: input.system ?? null,
    taper: input.taper ?? null,
    bearing: input.bearing ?? null,
    headDiameterMm: input.headDiameterMm ?? null,
    innerDiameterMm: input.innerDiameterMm ?? null,
    outerDiameterMm: input.outerDiameterMm ?? null,
  };
}

/** The layer a key writes: a national key the national record, an organisation's key that organisation's own values. */
const layerOf = (ctx: RequestContext): CatalogueLayer => tenancyOf(ctx.actor);

const EMPTY: ProductFacts = {
  issuingAgency: 'GS1',
  brand: null,
  model: null,
  manufacturer: null,
  description: null,
  implantable: null,
  productionIdentifiers: null,
  clinical: null,
  source: 'api',
};

/** `fields` applied over `base`: a field sent replaces (null unsets), a field not sent is kept. */
function apply(base: ProductFacts, fields: ProductFields): ProductFacts {
  const value = <K extends 'brand' | 'model' | 'manufacturer' | 'description' | 'implantable'>(k: K) => (fields[k] === undefined ? base[k] : (fields[k] ?? null));
  let productionIdentifiers = base.productionIdentifiers;
  if (fields.productionIdentifiers === null) productionIdentifiers = null;
  else if (fields.productionIdentifiers !== undefined) {
    const was = base.productionIdentifiers;
    const flag = (k: keyof ProductionIdentifiers) => {
      const sent = fields.productionIdentifiers?.[k];
      return sent === undefined ? (was?.[k] ?? null) : sent;
    };
    const next = { lotNumber: flag('lotNumber'), serialNumber: flag('serialNumber'), expirationDate: flag('expirationDate'), manufacturingDate: flag('manufacturingDate') };
    productionIdentifiers = Object.values(next).every((v) => v === null) ? null : next;
  }
  return {
    issuingAgency: base.issuingAgency,
    brand: value('brand'),
    model: value('model'),
    manufacturer: value('manufacturer'),
    description: value('description'),
    implantable: value('implantable'),
    productionIdentifiers,
    clinical: fields.clinical === undefined ? base.clinical : fields.clinical === null ? null : clinicalOf(fields.clinical),
    source: 'api',
  };
}

/**
 * PUT replaces what the caller's layer holds for the product (fields not sent
 * are unset: for an organisation, they fall back to the national value); PATCH
 * changes only the fields sent. Either way the change is kept with its values
 * before and after, and audited.
 */
export async function writeProduct(db: Kysely<Database>, ctx: RequestContext, gtin: string, fields: ProductFields, how: 'put' | 'patch', clock: Clock): Promise<Product> {
  const layer = layerOf(ctx);
  return db.transaction().execute(async (trx) => {
    const before = (await layerRowsForUpdate(trx, layer, [gtin])).get(gtin) ?? null;
    const after = apply(how === 'put' || before === null ? EMPTY : before, fields);
    const [change] = await writeLayer(trx, layer, [{ di: gtin, before, after }], { how, by: ctx.actor.keyId, requestId: ctx.requestId, at: clock.now() });
    await recordAudit(trx, ctx, {
      action: `product.${how}`,
      organisationId: layer.kind === 'organisation' ? layer.organisationId : null,
      detail: { di: gtin, layer: layer.kind, changed: change !== undefined, before, after },
    });
    return (await findProduct(trx, layer, gtin)) as Product;
  });
}

export async function getProduct(db: Kysely<Database>, ctx: RequestContext, di: string): Promise<Product> {
  const product = await findProduct(db, layerOf(ctx), di);
  if (!product) throw new ProblemError('NOT_FOUND', `No product ${di} in the catalogue.`);
  return product;
}

/** The changes of a product the caller may see (the national record's and its organisation's), newest first. */
export async function getProductHistory(db: Kysely<Database>, ctx: RequestContext, di: string, limit: number, before?: string): Promise<ProductChange[]> {
  const layer = layerOf(ctx);
  const changes = await productChanges(db, layer, di, limit, before);
  await recordAudit(db, ctx, { action: 'product.history.read', detail: { di, changes: changes.length } });
  return changes;
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
  // Clinical attributes (not in GUDID: from the catalogue API or a manufacturer's CSV through this import).
  component: ['component'],
  laterality: ['laterality', 'side'],
  system: ['system'],
  taper: ['taper'],
  bearing: ['bearing'],
  headDiameterMm: ['headdiametermm'],
  innerDiameterMm: ['innerdiametermm'],
  outerDiameterMm: ['outerdiametermm'],
  // GUDID's gmdnTerms file (or a device file with the term joined in): the component is derived from the term.
  gmdnPTName: ['gmdnptname'],
  gmdnCode: ['gmdncode'],
  // GUDID's deviceSizes file: "sizeType", "size (value)", "size (unit)" (headers compared without spaces or brackets).
  sizeType: ['sizetype'],
  sizeValue: ['sizevalue'],
  sizeUnit: ['sizeunit'],
} as const;

/** Columns that make a file a device file (its rows replace the product's values in the caller's layer). */
const DEVICE_COLUMNS = ['brand', 'model', 'manufacturer', 'description', 'lotBatch', 'serialNumber', 'expirationDate', 'manufacturingDate'] as const;

const CLINICAL_COLUMNS = ['component', 'laterality', 'system', 'taper', 'bearing', 'headDiameterMm', 'innerDiameterMm', 'outerDiameterMm'] as const;

/** A row's clinical attributes: null when its component is empty (unknown), else the attributes or what is wrong with them. */
function clinicalFrom(get: (k: (typeof CLINICAL_COLUMNS)[number]) => string | undefined): ClinicalAttributes | null | string {
  const cell = (k: (typeof CLINICAL_COLUMNS)[number]) => {
    const v = get(k)?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const component = cell('component')?.toLowerCase();
  if (component === undefined) return null;
  if (!(COMPONENTS as readonly string[]).includes(component)) return `component must be one of ${COMPONENTS.join(', ')}`;
  const laterality = cell('laterality')?.toLowerCase();
  if (laterality !== undefined && !(LATERALITIES as readonly string[]).includes(laterality)) return 'laterality must be left, right or none';
  const bearing = cell('bearing')?.toLowerCase();
  if (bearing !== undefined && !(BEARINGS as readonly string[]).includes(bearing)) return `bearing must be one of ${BEARINGS.join(', ')}`;
  const sizes: Partial<Record<'headDiameterMm' | 'innerDiameterMm' | 'outerDiameterMm', number>> = {};
  for (const k of ['headDiameterMm', 'innerDiameterMm', 'outerDiameterMm'] as const) {
    const v = cell(k);
    if (v === undefined) continue;
    const mm = Number(v);
    if (!/^\d+(\.\d{1,2})?$/.test(v) || mm <= 0 || mm > 200) return `${k} must be millimetres, more than 0 and at most 200`;
    sizes[k] = mm;
  }
  return clinicalOf({
    component: component as ClinicalAttributes['component'],
    laterality: laterality as ClinicalAttributes['laterality'] | undefined,
    system: cell('system') === undefined ? undefined : truncate(cell('system') ?? '', 100),
    taper: cell('taper') === undefined ? undefined : truncate(cell('taper') ?? '', 40),
    bearing: bearing as ClinicalAttributes['bearing'] | undefined,
    ...sizes,
  });
}

const normaliseHeader = (h: string) => h.toLowerCase().replace(/[^a-z0-9]/g, '');

export interface ImportReport {
  readonly total: number;
  readonly accepted: number;
  /** Accepted rows whose values differed from what the layer held (each kept in the product's history). */
  readonly changed: number;
  readonly rejected: readonly RowReason[];
  /** Accepted rows that set nothing, and why: a GMDN term not mapped, a size the checks do not read, an explicit value kept. */
  readonly notApplied: readonly RowReason[];
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
  const sizeColumns = { sizeType: 'sizeType', sizeValue: 'size (value)', sizeUnit: 'size (unit)' } as const;
  const hasSizes = Object.keys(sizeColumns).some((k) => at[k as keyof typeof sizeColumns] !== undefined);
  const missingSize = Object.entries(sizeColumns).filter(([k]) => at[k as keyof typeof sizeColumns] === undefined);
  if (hasSizes && missingSize.length > 0) {
    throw new ProblemError('CSV_INVALID', `GUDID size columns come together (sizeType, size (value), size (unit)); missing: ${missingSize.map(([, name]) => name).join(', ')}.`);
  }
  const hasGmdn = at.gmdnPTName !== undefined || at.gmdnCode !== undefined;
  const cellOf = (cells: string[]) => (k: keyof typeof COLUMNS) => (at[k] === undefined ? undefined : cells[at[k]]);
  // A gmdnTerms or deviceSizes file (no device columns): the clinical attributes of products already in the catalogue.
  if ((hasGmdn || hasSizes) && ![...DEVICE_COLUMNS, ...CLINICAL_COLUMNS].some((k) => at[k] !== undefined)) {
    return importGudidClinical(db, ctx, rows.map(cellOf), { hasGmdn, hasSizes }, clock);
  }

  // A CSV without clinical columns (a GUDID file) leaves the clinical attributes the layer holds as they are.
  const hasClinical = CLINICAL_COLUMNS.some((k) => at[k] !== undefined);
  const accepted: ProductInput[] = [];
  // A device file may carry a GMDN term and one size per row: derived into the clinical attributes like a gmdnTerms or deviceSizes file.
  const evidence = new Map<string, ProductEvidence>();
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
    const clinical = hasClinical ? clinicalFrom(get) : null;
    if (typeof clinical === 'string') return rejected.push({ row, primaryDi: rawDi, reason: clinical });
    const earlier = seen.get(di.di);
    if (earlier !== undefined) return rejected.push({ row, primaryDi: rawDi, reason: `the same DI as row ${earlier}` });
    seen.set(di.di, row);
    const term = get('gmdnPTName')?.trim();
    const code = get('gmdnCode')?.trim();
    const sizeType = get('sizeType')?.trim();
    if (term || code || sizeType) {
      evidence.set(di.di, {
        primaryDi: rawDi,
        gmdn: term || code ? [{ row, term, code }] : [],
        sizes: sizeType ? [{ row, type: sizeType, value: get('sizeValue'), unit: get('sizeUnit') }] : [],
      });
    }
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
      clinical,
      source: 'gudid-import',
    });
    return undefined;
  });

  // Rows the layer already holds with the same values change nothing and are not recorded as changes.
  const layer = layerOf(ctx);
  const notApplied: RowReason[] = [];
  let changed = 0;
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < accepted.length; i += 500) {
      const chunk = accepted.slice(i, i + 500);
      const before = await layerRowsForUpdate(trx, layer, chunk.map((p) => p.di));
      const national = layer.kind === 'organisation' && evidence.size > 0 ? await nationalFacts(trx, chunk.map((p) => p.di)) : new Map<string, ProductFacts>();
      const changes = chunk.map(({ di, ...after }) => {
        const was = before.get(di) ?? null;
        let clinical = hasClinical ? after.clinical : (was?.clinical ?? null);
        const ev = evidence.get(di);
        if (ev !== undefined) {
          const masked = clinical === null ? maskingReason(layer, national.get(di)) : null;
          const rows = [...ev.gmdn.map((g) => g.row), ...ev.sizes.map((z) => z.row)];
          if (masked !== null) {
            notApplied.push({ row: rows[0] as number, primaryDi: ev.primaryDi, reason: masked });
          } else {
            const derived = deriveForProduct(clinical, ev);
            clinical = derived.clinical;
            // The device row is accepted: what GUDID said that could not be used is reported, not refused.
            notApplied.push(...derived.rejected, ...derived.notApplied);
          }
        }
        return { di, before: was, after: { ...after, clinical } };
      });
      changed += (await writeLayer(trx, layer, changes, { how: 'import', by: ctx.actor.keyId, requestId: ctx.requestId, at: clock.now() })).length;
    }
    await recordAudit(trx, ctx, {
      action: 'product.import',
      organisationId: layer.kind === 'organisation' ? layer.organisationId : null,
      detail: { layer: layer.kind, accepted: accepted.length, changed, rejected: rejected.length },
    });
  });
  return { total: rows.length, accepted: accepted.length, changed, rejected, notApplied: byRow(notApplied) };
}

const byRow = (list: RowReason[]) => list.sort((a, b) => a.row - b.row);

/**
 * Why GUDID's values cannot go into an organisation's own clinical attributes
 * when it holds none and the national record does: an organisation's
 * clinical attributes replace the national ones whole, so writing only what
 * GUDID says would hide the national side, taper and bearing from it.
 */
function maskingReason(layer: CatalogueLayer, national: ProductFacts | undefined): string | null {
  if (layer.kind !== 'organisation' || (national?.clinical ?? null) === null) return null;
  return 'the national record holds this product\'s clinical attributes and the organisation has none of its own: GUDID\'s values go into the national record (import with a national key), or set the organisation\'s own with PUT /v1/products/{gtin}';
}

/**
 * A gmdnTerms or deviceSizes file (GUDID's delimited release), or one with
 * both: the clinical attributes of products already in the catalogue, derived
 * and merged into the caller's layer (derived values fill unknown attributes
 * and correct earlier derived ones; explicit values are kept). Rows of one DI
 * may repeat (one per size). Every row is accepted, or rejected with its
 * reason; accepted rows that set nothing say why in `notApplied`.
 */
async function importGudidClinical(
  db: Kysely<Database>,
  ctx: RequestContext,
  rows: Array<(k: keyof typeof COLUMNS) => string | undefined>,
  has: { readonly hasGmdn: boolean; readonly hasSizes: boolean },
  clock: Clock,
): Promise<ImportReport> {
  const rejected: RowReason[] = [];
  const notApplied: RowReason[] = [];
  const byDi = new Map<string, ProductEvidence>();
  rows.forEach((get, i) => {
    const row = i + 2;
    const rawDi = get('di') ?? '';
    if (rawDi.trim() === '') return rejected.push({ row, primaryDi: null, reason: 'primary DI is empty' });
    const di = classifyDi(rawDi, get('agency'));
    if (typeof di === 'string') return rejected.push({ row, primaryDi: rawDi, reason: di });
    const ev = byDi.get(di.di) ?? { primaryDi: rawDi, gmdn: [], sizes: [] };
    byDi.set(di.di, ev);
    const term = get('gmdnPTName')?.trim();
    const code = get('gmdnCode')?.trim();
    const sizeType = get('sizeType')?.trim();
    if (term || code) ev.gmdn.push({ row, term, code });
    if (sizeType) ev.sizes.push({ row, type: sizeType, value: get('sizeValue'), unit: get('sizeUnit') });
    if (!term && !code && !sizeType) rejected.push({ row, primaryDi: rawDi, reason: has.hasSizes ? 'sizeType is empty' : 'gmdnPTName is empty' });
    return undefined;
  });

  const layer = layerOf(ctx);
  let changed = 0;
  await db.transaction().execute(async (trx) => {
    const dis = [...byDi.keys()];
    for (let i = 0; i < dis.length; i += 500) {
      const chunk = dis.slice(i, i + 500);
      const before = await layerRowsForUpdate(trx, layer, chunk);
      const national = layer.kind === 'organisation' ? await nationalFacts(trx, chunk) : before;
      const changes = [];
      for (const di of chunk) {
        const ev = byDi.get(di) as ProductEvidence;
        const rowsOf = [...ev.gmdn.map((g) => g.row), ...ev.sizes.map((z) => z.row)];
        const refuse = (reason: string) => rejected.push(...rowsOf.map((row) => ({ row, primaryDi: ev.primaryDi, reason })));
        const was = before.get(di) ?? null;
        const nationalRecord = national.get(di);
        if (was === null && nationalRecord === undefined) {
          refuse('not in the catalogue: import its device file first (a GMDN term or a size does not make a product)');
          continue;
        }
        const masked = (was?.clinical ?? null) === null ? maskingReason(layer, nationalRecord) : null;
        if (masked !== null) {
          refuse(masked);
          continue;
        }
        const derived = deriveForProduct(was?.clinical ?? null, ev);
        rejected.push(...derived.rejected);
        notApplied.push(...derived.notApplied);
        const base: ProductFacts = was ?? { ...EMPTY, issuingAgency: (nationalRecord as ProductFacts).issuingAgency };
        // Only a change of the clinical attributes is written (and kept in the product's history).
        if (canonical(derived.clinical) !== canonical(base.clinical)) changes.push({ di, before: was, after: { ...base, clinical: derived.clinical, source: 'gudid-import' as const } });
      }
      changed += (await writeLayer(trx, layer, changes, { how: 'import', by: ctx.actor.keyId, requestId: ctx.requestId, at: clock.now() })).length;
    }
    await recordAudit(trx, ctx, {
      action: 'product.import',
      organisationId: layer.kind === 'organisation' ? layer.organisationId : null,
      detail: { layer: layer.kind, file: [has.hasGmdn ? 'gmdnTerms' : null, has.hasSizes ? 'deviceSizes' : null].filter(Boolean).join('+'), rows: rows.length, changed, rejected: rejected.length },
    });
  });
  return { total: rows.length, accepted: rows.length - rejected.length, changed, rejected: byRow(rejected), notApplied: byRow(notApplied) };
}
