import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type { Database, ProductOverridesTable, ProductsTable } from '../../db/database.js';
import type { ClinicalAttributes } from '../../domain/compatibility/attributes.js';

/**
 * The catalogue in two layers. The national record (`products`) is written by
 * national procurement keys and their GUDID imports; an organisation's own
 * values (`product_overrides`, a null field meaning "the national value") by
 * that organisation's procurement keys, and are seen by it alone. A product as
 * an organisation sees it is the merge: its value, else the national one.
 */
export type CatalogueLayer = { readonly kind: 'national' } | { readonly kind: 'organisation'; readonly organisationId: string };

export interface ProductionIdentifiers {
  readonly lotNumber: boolean | null;
  readonly serialNumber: boolean | null;
  readonly expirationDate: boolean | null;
  readonly manufacturingDate: boolean | null;
}

/** The facts of a product: what a layer holds, and what a reader sees once merged. */
export interface ProductFacts {
  readonly issuingAgency: 'GS1' | 'HIBCC' | 'ICCBBA';
  readonly brand: string | null;
  readonly model: string | null;
  readonly manufacturer: string | null;
  readonly description: string | null;
  readonly implantable: boolean | null;
  /** Which production identifiers the label carries (GUDID's flags); null when not known. */
  readonly productionIdentifiers: ProductionIdentifiers | null;
  /** What the compatibility checks read: component, side, system, taper, bearing, sizes; null when not known. */
  readonly clinical: ClinicalAttributes | null;
  readonly source: 'api' | 'gudid-import';
}

export const PRODUCT_FIELDS = ['brand', 'model', 'manufacturer', 'description', 'implantable', 'productionIdentifiers', 'clinical'] as const;
export type ProductField = (typeof PRODUCT_FIELDS)[number];

export interface Product extends ProductFacts {
  readonly di: string;
  readonly updatedAt: Date;
  /** The fields whose value is the reading organisation's own (empty for the national record). */
  readonly organisationValues: readonly ProductField[];
}

export interface ProductInput extends ProductFacts {
  readonly di: string;
}

type LayerRow = Selectable<ProductsTable> | Selectable<ProductOverridesTable>;

const identifiersOf = (r: Pick<LayerRow, 'label_lot' | 'label_serial' | 'label_expiry' | 'label_manufacturing'>): ProductionIdentifiers | null =>
  r.label_lot === null && r.label_serial === null && r.label_expiry === null && r.label_manufacturing === null
    ? null
    : { lotNumber: r.label_lot, serialNumber: r.label_serial, expirationDate: r.label_expiry, manufacturingDate: r.label_manufacturing };

const factsOf = (r: LayerRow): ProductFacts => ({
  issuingAgency: r.issuing_agency,
  brand: r.brand,
  model: r.model,
  manufacturer: r.manufacturer,
  description: r.description,
  implantable: r.implantable,
  productionIdentifiers: identifiersOf(r),
  clinical: r.clinical,
  source: r.source,
});

/** The merge of an organisation's values over the national record (either may be missing, not both). */
function merge(di: string, national: LayerRow | undefined, own: LayerRow | undefined): Product {
  const n = national;
  const o = own;
  const pick = <K extends 'brand' | 'model' | 'manufacturer' | 'description' | 'implantable' | 'label_lot' | 'label_serial' | 'label_expiry' | 'label_manufacturing' | 'clinical'>(k: K) =>
    (o?.[k] ?? n?.[k] ?? null) as LayerRow[K];
  const merged = {
    label_lot: pick('label_lot'),
    label_serial: pick('label_serial'),
    label_expiry: pick('label_expiry'),
    label_manufacturing: pick('label_manufacturing'),
  };
  const newest = [n, o].filter((r): r is LayerRow => r !== undefined).sort((a, b) => b.updated_at.getTime() - a.updated_at.getTime())[0] as LayerRow;
  const ownFields: ProductField[] = o
    ? PRODUCT_FIELDS.filter((f) =>
        f === 'productionIdentifiers' ? identifiersOf(o) !== null : o[f] !== null,
      )
    : [];
  return {
    di,
    issuingAgency: (o ?? n)?.issuing_agency ?? 'GS1',
    brand: pick('brand'),
    model: pick('model'),
    manufacturer: pick('manufacturer'),
    description: pick('description'),
    implantable: pick('implantable'),
    productionIdentifiers: identifiersOf(merged),
    clinical: pick('clinical'),
    source: newest.source,
    updatedAt: newest.updated_at,
    organisationValues: ownFields,
  };
}

/** A product as `layer` sees it: the national record, or an organisation's values over it. */
export async function findProduct(db: Kysely<Database>, layer: CatalogueLayer, di: string): Promise<Product | undefined> {
  const [national, own] = await Promise.all([
    db.selectFrom('products').selectAll().where('di', '=', di).executeTakeFirst(),
    layer.kind === 'organisation'
      ? db.selectFrom('product_overrides').selectAll().where('organisation_id', '=', layer.organisationId).where('di', '=', di).executeTakeFirst()
      : undefined,
  ]);
  if (!national && !own) return undefined;
  return merge(di, national, own);
}

/** Products of one organisation's items, as it sees them, by DI. */
export async function findProductsFor(db: Kysely<Database>, organisationId: string, dis: readonly string[]): Promise<Map<string, Product>> {
  if (dis.length === 0) return new Map();
  const [national, own] = await Promise.all([
    db.selectFrom('products').selectAll().where('di', 'in', dis).execute(),
    db.selectFrom('product_overrides').selectAll().where('organisation_id', '=', organisationId).where('di', 'in', dis).execute(),
  ]);
  const n = new Map(national.map((r) => [r.di, r]));
  const o = new Map(own.map((r) => [r.di, r]));
  return new Map(dis.filter((di) => n.has(di) || o.has(di)).map((di) => [di, merge(di, n.get(di), o.get(di))]));
}

/** What one layer holds for these DIs, locked for the change about to be made. */
export async function layerRowsForUpdate(db: Kysely<Database>, layer: CatalogueLayer, dis: readonly string[]): Promise<Map<string, ProductFacts>> {
  if (dis.length === 0) return new Map();
  const rows =
    layer.kind === 'national'
      ? await db.selectFrom('products').selectAll().where('di', 'in', dis).forUpdate().execute()
      : await db.selectFrom('product_overrides').selectAll().where('organisation_id', '=', layer.organisationId).where('di', 'in', dis).forUpdate().execute();
  return new Map(rows.map((r) => [r.di, factsOf(r)]));
}

/** The national record for these DIs, unlocked: what an organisation's import reads beside its own values. */
export async function nationalFacts(db: Kysely<Database>, dis: readonly string[]): Promise<Map<string, ProductFacts>> {
  if (dis.length === 0) return new Map();
  const rows = await db.selectFrom('products').selectAll().where('di', 'in', dis).execute();
  return new Map(rows.map((r) => [r.di, factsOf(r)]));
}

/** JSON with object keys sorted, so that equal values compare equal whatever order their keys came in. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

export interface LayerChange {
  readonly di: string;
  readonly before: ProductFacts | null;
  readonly after: ProductFacts;
}

/**
 * Writes new values into one layer, many products at a time, and records each
 * product whose values changed in `product_changes` (before and after).
 * Answers the changes made (products written with the values they had are not).
 */
export async function writeLayer(
  db: Kysely<Database>,
  layer: CatalogueLayer,
  changes: readonly LayerChange[],
  meta: { readonly how: 'put' | 'patch' | 'import'; readonly by: string; readonly requestId: string; readonly at: Date },
): Promise<LayerChange[]> {
  // Compared with keys in order: jsonb hands objects back with its own key order.
  const changed = changes.filter((c) => c.before === null || canonical(c.before) !== canonical(c.after));
  if (changed.length === 0) return [];
  const values = changed.map(({ di, after: p }) => ({
    di,
    issuing_agency: p.issuingAgency,
    brand: p.brand,
    model: p.model,
    manufacturer: p.manufacturer,
    description: p.description,
    implantable: p.implantable,
    label_lot: p.productionIdentifiers?.lotNumber ?? null,
    label_serial: p.productionIdentifiers?.serialNumber ?? null,
    label_expiry: p.productionIdentifiers?.expirationDate ?? null,
    label_manufacturing: p.productionIdentifiers?.manufacturingDate ?? null,
    clinical: p.clinical === null ? null : JSON.stringify(p.clinical),
    source: p.source,
    updated_at: meta.at,
    updated_by: meta.by,
  }));
  const FIELDS = ['issuing_agency', 'brand', 'model', 'manufacturer', 'description', 'implantable', 'label_lot', 'label_serial', 'label_expiry', 'label_manufacturing', 'clinical', 'source', 'updated_at', 'updated_by'] as const;
  if (layer.kind === 'national') {
    await db
      .insertInto('products')
      .values(values)
      .onConflict((oc) => oc.column('di').doUpdateSet(Object.fromEntries(FIELDS.map((f) => [f, sql.ref(`excluded.${f}`)]))))
      .execute();
  } else {
    await db
      .insertInto('product_overrides')
      .values(values.map((v) => ({ ...v, organisation_id: layer.organisationId })))
      .onConflict((oc) => oc.columns(['organisation_id', 'di']).doUpdateSet(Object.fromEntries(FIELDS.map((f) => [f, sql.ref(`excluded.${f}`)]))))
      .execute();
  }
  await db
    .insertInto('product_changes')
    .values(
      changed.map((c) => ({
        di: c.di,
        organisation_id: layer.kind === 'organisation' ? layer.organisationId : null,
        how: meta.how,
        before: c.before === null ? null : JSON.stringify(c.before),
        after: JSON.stringify(c.after),
        actor_key_id: meta.by,
        request_id: meta.requestId,
        changed_at: meta.at,
      })),
    )
    .execute();
  return changed;
}

export interface ProductChange {
  readonly id: string;
  readonly layer: 'national' | 'organisation';
  readonly how: 'put' | 'patch' | 'import';
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown>;
  readonly actorKeyId: string;
  readonly changedAt: Date;
}

/** The changes of a product a layer's reader may see: the national record's, and its organisation's own. Newest first. */
export async function productChanges(db: Kysely<Database>, layer: CatalogueLayer, di: string, limit: number, before?: string): Promise<ProductChange[]> {
  let query = db.selectFrom('product_changes').selectAll().where('di', '=', di);
  query =
    layer.kind === 'organisation'
      ? query.where((eb) => eb.or([eb('organisation_id', 'is', null), eb('organisation_id', '=', layer.organisationId)]))
      : query.where('organisation_id', 'is', null);
  if (before !== undefined) query = query.where('id', '<', before);
  const rows = await query.orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({
    id: String(r.id),
    layer: r.organisation_id === null ? 'national' : 'organisation',
    how: r.how,
    before: r.before,
    after: r.after,
    actorKeyId: r.actor_key_id,
    changedAt: r.changed_at,
  }));
}

/**
 * A product column as the organisation holding an item sees it, for readers
 * that join `products as pr` and `product_overrides as po` (on the item's DI
 * and organisation): the organisation's value, else the national one.
 */
export function catalogueColumn<T>(column: 'brand' | 'model' | 'manufacturer' | 'implantable' | 'label_lot' | 'label_serial' | 'label_expiry' | 'label_manufacturing' | 'clinical'): RawBuilder<T | null> {
  return sql<T | null>`coalesce(${sql.ref(`po.${column}`)}, ${sql.ref(`pr.${column}`)})`;
}
