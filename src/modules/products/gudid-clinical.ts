/**
 * The GUDID import's clinical part: what one product's gmdnTerms and
 * deviceSizes rows say, merged into the clinical attributes its layer holds
 * (src/domain/compatibility/gudid.ts has the tables and the merge rule).
 * Pure: the service reads and writes the layers.
 */
import {
  componentAfter,
  componentFromGmdn,
  mergeDerived,
  placeSize,
  type ClinicalAttributes,
  type Component,
  type DerivedAttribute,
  type SizeAttribute,
} from '../../domain/compatibility/index.js';

export interface RowReason {
  readonly row: number;
  readonly primaryDi: string | null;
  readonly reason: string;
}

/** One product's rows: its GMDN terms and its sizes, each with its row number. */
export interface ProductEvidence {
  readonly primaryDi: string;
  readonly gmdn: Array<{ readonly row: number; readonly term: string | undefined; readonly code: string | undefined }>;
  readonly sizes: Array<{ readonly row: number; readonly type: string | undefined; readonly value: string | undefined; readonly unit: string | undefined }>;
}

export interface ProductDerivation {
  /** The clinical attributes after the merge (null: no component known). */
  readonly clinical: ClinicalAttributes | null;
  /** Rows refused: a bad value or unit, an ambiguous size, disagreeing rows, no component to place a size against. */
  readonly rejected: RowReason[];
  /** Rows read but not applied, and why: a term the catalogue does not map, a size the checks do not read, an explicit value kept. */
  readonly notApplied: RowReason[];
}

/**
 * What one product's GUDID rows change in `current` (the layer's own clinical
 * attributes). Several GMDN terms that map to different components leave the
 * component unknown; several sizes for one attribute that disagree leave it unknown.
 */
export function deriveForProduct(current: ClinicalAttributes | null, evidence: ProductEvidence): ProductDerivation {
  const rejected: RowReason[] = [];
  const notApplied: RowReason[] = [];
  const primaryDi = evidence.primaryDi;

  // The component, from the GMDN terms.
  const mapped = evidence.gmdn.map((g) => ({ ...g, derived: componentFromGmdn(g.term, g.code) }));
  const components = [...new Set(mapped.flatMap((m) => (m.derived.value === null ? [] : [m.derived.value])))];
  let component: Component | undefined;
  if (components.length > 1) {
    for (const m of mapped) rejected.push({ row: m.row, primaryDi, reason: `the GMDN terms of this DI disagree (${components.join(', ')}): the component is left unknown` });
  } else {
    component = components[0];
    for (const m of mapped) if (m.derived.value === null) notApplied.push({ row: m.row, primaryDi, reason: m.derived.reason });
  }
  const componentRow = mapped.find((m) => m.derived.value !== null)?.row;

  // The sizes, placed against the component the merge ends with.
  const placeAgainst = componentAfter(current, component);
  const byAttribute = new Map<SizeAttribute, Array<{ row: number; mm: number }>>();
  for (const s of evidence.sizes) {
    if (placeAgainst === null) {
      rejected.push({ row: s.row, primaryDi, reason: 'the component is not known, so the size cannot be placed: set it (catalogue API, a CSV with a component column, or a gmdnTerms file) and import again' });
      continue;
    }
    const placed = placeSize(placeAgainst, s.type, s.value, s.unit);
    if (placed.attribute === null) (placed.rejected ? rejected : notApplied).push({ row: s.row, primaryDi, reason: placed.reason });
    else byAttribute.set(placed.attribute, [...(byAttribute.get(placed.attribute) ?? []), { row: s.row, mm: placed.mm }]);
  }
  const sizes: Partial<Record<SizeAttribute, number>> = {};
  const sizeRow = new Map<DerivedAttribute, number>();
  for (const [attribute, rows] of byAttribute) {
    const values = [...new Set(rows.map((r) => r.mm))];
    if (values.length > 1) {
      for (const r of rows) rejected.push({ row: r.row, primaryDi, reason: `the sizes of this DI for ${attribute} disagree (${values.join(', ')} mm): left unknown` });
      continue;
    }
    sizes[attribute] = rows[0]?.mm;
    sizeRow.set(attribute, (rows[0] as { row: number }).row);
  }

  const merged = mergeDerived(current, { ...(component === undefined ? {} : { component }), sizes });
  for (const k of merged.kept) {
    const row = k.attribute === 'component' ? componentRow : sizeRow.get(k.attribute);
    if (row !== undefined) notApplied.push({ row, primaryDi, reason: k.reason });
  }
  return { clinical: merged.clinical, rejected, notApplied };
}
