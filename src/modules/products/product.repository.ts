import type { Kysely, Selectable } from 'kysely';
import type { Database, ProductsTable } from '../../db/database.js';

export interface Product {
  readonly di: string;
  readonly issuingAgency: 'GS1' | 'HIBCC' | 'ICCBBA';
  readonly brand: string | null;
  readonly model: string | null;
  readonly manufacturer: string | null;
  readonly description: string | null;
  readonly implantable: boolean | null;
  /** Which production identifiers the label carries (GUDID's flags); null when not known. */
  readonly productionIdentifiers: ProductionIdentifiers | null;
  readonly source: 'api' | 'gudid-import';
  readonly updatedAt: Date;
}

export interface ProductionIdentifiers {
  readonly lotNumber: boolean | null;
  readonly serialNumber: boolean | null;
  readonly expirationDate: boolean | null;
  readonly manufacturingDate: boolean | null;
}

export type ProductInput = Omit<Product, 'updatedAt'>;

const toProduct = (r: Selectable<ProductsTable>): Product => ({
  di: r.di,
  issuingAgency: r.issuing_agency,
  brand: r.brand,
  model: r.model,
  manufacturer: r.manufacturer,
  description: r.description,
  implantable: r.implantable,
  productionIdentifiers:
    r.label_lot === null && r.label_serial === null && r.label_expiry === null && r.label_manufacturing === null
      ? null
      : { lotNumber: r.label_lot, serialNumber: r.label_serial, expirationDate: r.label_expiry, manufacturingDate: r.label_manufacturing },
  source: r.source,
  updatedAt: r.updated_at,
});

export async function findProductByDi(db: Kysely<Database>, di: string): Promise<Product | undefined> {
  const row = await db.selectFrom('products').selectAll().where('di', '=', di).executeTakeFirst();
  return row && toProduct(row);
}

/** Inserts or replaces products by DI, many at a time. */
export async function upsertProducts(db: Kysely<Database>, products: readonly ProductInput[], by: string, at: Date): Promise<Product[]> {
  if (products.length === 0) return [];
  const rows = await db
    .insertInto('products')
    .values(
      products.map((p) => ({
        di: p.di,
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
        source: p.source,
        updated_at: at,
        updated_by: by,
      })),
    )
    .onConflict((oc) =>
      oc.column('di').doUpdateSet((eb) => ({
        issuing_agency: eb.ref('excluded.issuing_agency'),
        brand: eb.ref('excluded.brand'),
        model: eb.ref('excluded.model'),
        manufacturer: eb.ref('excluded.manufacturer'),
        description: eb.ref('excluded.description'),
        implantable: eb.ref('excluded.implantable'),
        label_lot: eb.ref('excluded.label_lot'),
        label_serial: eb.ref('excluded.label_serial'),
        label_expiry: eb.ref('excluded.label_expiry'),
        label_manufacturing: eb.ref('excluded.label_manufacturing'),
        source: eb.ref('excluded.source'),
        updated_at: eb.ref('excluded.updated_at'),
        updated_by: eb.ref('excluded.updated_by'),
      })),
    )
    .returningAll()
    .execute();
  return rows.map(toProduct);
}
