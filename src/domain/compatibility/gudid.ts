/**
 * Clinical attributes derived from what the FDA GUDID publishes (issue 16):
 * the component from the device's GMDN preferred term (gmdnTerms.txt), and
 * the diameters from its clinically relevant sizes (deviceSizes.txt).
 *
 * Pure: no HTTP, no SQL. Everything GUDID does not say stays unknown: it has
 * no laterality, taper, bearing class or system field, and a term or size
 * that does not map unambiguously gives nothing, with the reason, never a
 * guess. Derived values are marked (`derivedFromGudid`) so that they never
 * replace a value set explicitly (catalogue API, a manufacturer's CSV) and a
 * later GUDID import may correct them.
 */
import type { ClinicalAttributes, Component, DerivedAttribute, SizeAttribute } from './attributes.js';

/**
 * GMDN preferred terms → component, matched on the whole term (case, spaces
 * and punctuation ignored), never on a part of it: "Femoral stem centralizer"
 * is not a femoral stem and "Acetabular cup prosthesis liner" is not a cup.
 * A term listed with `component: null` is known and deliberately left
 * unknown (the reason says why). A term not listed gives no component.
 * `code` is the GMDN code where it was confirmed; a row's code is used when
 * its name is not listed.
 */
export interface GmdnTermMapping {
  readonly term: string;
  readonly code?: string;
  readonly component: Component | null;
  /** Why a known term gives no component. */
  readonly reason?: string;
}

export const GMDN_TERMS: readonly GmdnTermMapping[] = [
  // Hip
  { term: 'Ceramic femoral head prosthesis', code: '38156', component: 'femoral-head' },
  { term: 'Metallic femoral head prosthesis', component: 'femoral-head' },
  { term: 'Bipolar femoral head prosthesis', component: 'bipolar-head' },
  { term: 'Acetabular shell', component: 'acetabular-shell' },
  { term: 'Acetabular cup prosthesis liner', code: '36777', component: 'acetabular-liner' },
  {
    term: 'Ceramic acetabular cup prosthesis',
    code: '47496',
    component: null,
    reason: 'ceramic liners (inserts for a shell) and one-piece ceramic cups share this term: which one the product is, it does not say',
  },
  { term: 'Uncoated hip femur prosthesis, modular', component: 'femoral-stem' },
  { term: 'Coated hip femur prosthesis, modular', component: 'femoral-stem' },
  { term: 'Uncoated femoral stem prosthesis, modular', component: 'femoral-stem' },
  { term: 'Coated femoral stem prosthesis, modular', component: 'femoral-stem' },
  { term: 'Femoral stem centralizer', component: null, reason: 'an accessory of a cemented stem, not a stem' },
  // Knee
  { term: 'Uncoated knee femur prosthesis', component: 'femoral-component' },
  { term: 'Uncoated knee femur prosthesis, ceramic', code: '64587', component: 'femoral-component' },
  { term: 'Uncoated knee tibia prosthesis, metallic', component: 'tibial-tray' },
  {
    term: 'Uncoated knee tibia prosthesis, polyethene',
    component: null,
    reason: 'an all-polyethylene tibial component and a tibial insert share this term: which one the product is, it does not say',
  },
  { term: 'Knee tibia prosthesis', component: null, reason: 'a tray, an insert or a one-piece tibia: the term does not say which' },
  { term: 'Polyethylene patella prosthesis', component: 'patella' },
  // Shoulder
  { term: 'Bipolar humeral head', component: null, reason: 'a shoulder hemiarthroplasty head: not a component the checks know' },
];

/** Lower case, letters and digits, single spaces: how terms are compared. */
export const normaliseTerm = (term: string): string =>
  term
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

const BY_TERM = new Map(GMDN_TERMS.map((m) => [normaliseTerm(m.term), m]));
const BY_CODE = new Map(GMDN_TERMS.filter((m) => m.code !== undefined).map((m) => [m.code as string, m]));

export type Derived<T> = { readonly value: T } | { readonly value: null; readonly reason: string };

/** The component a GMDN preferred term (and, failing its name, its code) says the product is. */
export function componentFromGmdn(term: string | undefined, code?: string): Derived<Component> {
  const byName = term === undefined || term.trim() === '' ? undefined : BY_TERM.get(normaliseTerm(term));
  const mapping = byName ?? (code === undefined ? undefined : BY_CODE.get(code.trim()));
  if (mapping === undefined) {
    const what = term?.trim() ? `GMDN term "${term.trim()}"` : code?.trim() ? `GMDN code ${code.trim()}` : 'no GMDN term';
    return { value: null, reason: `${what} is not one the catalogue maps to a component` };
  }
  if (mapping.component === null) return { value: null, reason: `GMDN term "${mapping.term}": ${mapping.reason ?? 'no component'}` };
  return { value: mapping.component };
}

/**
 * GUDID's size units of length, in millimetres. Other units (degrees,
 * gauges, French, volumes, weights) are not lengths and are refused.
 */
export const LENGTH_UNITS_MM: Readonly<Record<string, number>> = {
  millimeter: 1,
  millimetre: 1,
  mm: 1,
  centimeter: 10,
  centimetre: 10,
  cm: 10,
  inch: 25.4,
  in: 25.4,
};

const normaliseUnit = (unit: string) =>
  unit
    .trim()
    .toLowerCase()
    .replace(/^inches$/, 'inch')
    .replace(/s$/, '');

/** A GUDID size in millimetres, to 0.01 mm, more than 0 and at most 200; else why not. */
export function sizeInMm(value: string | undefined, unit: string | undefined): Derived<number> {
  const v = value?.trim() ?? '';
  if (!/^\d+(\.\d+)?$/.test(v)) return { value: null, reason: v === '' ? 'the size value is empty' : `the size value "${v}" is not a number` };
  const u = unit?.trim() ?? '';
  if (u === '') return { value: null, reason: 'the size unit is empty' };
  const factor = LENGTH_UNITS_MM[normaliseUnit(u)];
  if (factor === undefined) return { value: null, reason: `the unit "${u}" is not a length (millimetres, centimetres or inches)` };
  const mm = Math.round(Number(v) * factor * 100) / 100;
  if (mm <= 0 || mm > 200) return { value: null, reason: `${mm} mm is not a plausible implant diameter (more than 0, at most 200)` };
  return { value: mm };
}

/**
 * Which attribute a GUDID size type sets, per component: a data table.
 * GUDID's size types include "Outer Diameter" and "Lumen/Inner Diameter"
 * ("Diameter" and "Inner Diameter" are read as spellings some files use).
 * `'ambiguous'`: the size type could mean more than one attribute for that
 * component. A size type absent for a component is not one the checks read
 * (a stem's length, a neck angle): accepted, not applied.
 */
export type SizeType = 'outer-diameter' | 'inner-diameter' | 'diameter';

export const SIZE_TYPES: Readonly<Record<string, SizeType>> = {
  'outer diameter': 'outer-diameter',
  'lumen inner diameter': 'inner-diameter',
  'inner diameter': 'inner-diameter',
  diameter: 'diameter',
};

type Placement = SizeAttribute | 'ambiguous';

export const SIZE_PLACEMENT: { readonly [C in Component]?: { readonly [S in SizeType]?: Placement } } = {
  // A head is a ball: its outer diameter is the head diameter.
  'femoral-head': { 'outer-diameter': 'headDiameterMm', diameter: 'headDiameterMm' },
  'humeral-head': { 'outer-diameter': 'headDiameterMm', diameter: 'headDiameterMm' },
  // A bipolar head takes a femoral head inside and sits in the acetabulum outside.
  'bipolar-head': { 'outer-diameter': 'outerDiameterMm', 'inner-diameter': 'innerDiameterMm', diameter: 'ambiguous' },
  // A liner or cup takes the head inside; a liner sits in the shell outside.
  'acetabular-liner': { 'outer-diameter': 'outerDiameterMm', 'inner-diameter': 'innerDiameterMm', diameter: 'ambiguous' },
  'acetabular-cup': { 'outer-diameter': 'outerDiameterMm', 'inner-diameter': 'innerDiameterMm', diameter: 'ambiguous' },
  // A shell's outer diameter is its size in the bone; its inner diameter takes the liner.
  'acetabular-shell': { 'outer-diameter': 'outerDiameterMm', 'inner-diameter': 'innerDiameterMm', diameter: 'ambiguous' },
  // A glenosphere is a ball; a humeral insert takes it.
  glenosphere: { 'outer-diameter': 'outerDiameterMm', diameter: 'outerDiameterMm' },
  'humeral-insert': { 'outer-diameter': 'outerDiameterMm', 'inner-diameter': 'innerDiameterMm', diameter: 'ambiguous' },
};

export type SizePlacement = { readonly attribute: SizeAttribute; readonly mm: number } | { readonly attribute: null; readonly rejected: boolean; readonly reason: string };

/**
 * Where one GUDID size row goes for a product of `component`: an attribute
 * and its millimetres; or nothing, either refused (`rejected`: a bad value,
 * unit, or an ambiguous size type) or not read by the checks.
 */
export function placeSize(component: Component, sizeType: string | undefined, value: string | undefined, unit: string | undefined): SizePlacement {
  const type = SIZE_TYPES[normaliseTerm(sizeType ?? '')];
  if (type === undefined) {
    const t = sizeType?.trim() ?? '';
    return { attribute: null, rejected: false, reason: t === '' ? 'no size type' : `size type "${t}" is not one the compatibility checks read` };
  }
  const placement = SIZE_PLACEMENT[component]?.[type];
  if (placement === undefined) return { attribute: null, rejected: false, reason: `a ${component}'s ${sizeType?.trim()} is not one the compatibility checks read` };
  if (placement === 'ambiguous') {
    return { attribute: null, rejected: true, reason: `"${sizeType?.trim()}" of a ${component} could be its inner or its outer diameter: left unknown` };
  }
  const mm = sizeInMm(value, unit);
  if (mm.value === null) return { attribute: null, rejected: true, reason: mm.reason };
  return { attribute: placement, mm: mm.value };
}

/** What GUDID says about one product: its component (if its GMDN term maps to one) and sizes by attribute. */
export interface GudidEvidence {
  readonly component?: Component;
  readonly sizes?: Partial<Record<SizeAttribute, number>>;
}

export interface MergeResult {
  /** The clinical attributes after the merge; null when no component is known. */
  readonly clinical: ClinicalAttributes | null;
  /** Values GUDID gave that were not applied, and why (an explicit value kept, sizes without a component). */
  readonly kept: ReadonlyArray<{ readonly attribute: DerivedAttribute; readonly reason: string }>;
}

const SIZE_ATTRIBUTES = ['headDiameterMm', 'innerDiameterMm', 'outerDiameterMm'] as const;

/** The component the merge ends with: an explicit one stays, else GUDID's, else the one derived before. */
export function componentAfter(current: ClinicalAttributes | null, fromGmdn: Component | undefined): Component | null {
  if (current !== null && !(current.derivedFromGudid ?? []).includes('component')) return current.component;
  return fromGmdn ?? current?.component ?? null;
}

/**
 * Merges what GUDID says into the clinical attributes a layer holds. The rule:
 * a derived value fills an attribute that is unknown, or replaces one that was
 * itself derived from GUDID before (so a corrected GUDID record corrects it);
 * a value set explicitly (catalogue API, a manufacturer's CSV) is never
 * replaced, and the difference is reported. When a derived component changes,
 * the sizes derived for the old one are dropped (where a size goes depends on
 * the component). Sizes are placed against the component the merge ends with.
 */
export function mergeDerived(current: ClinicalAttributes | null, evidence: GudidEvidence): MergeResult {
  const kept: Array<{ attribute: DerivedAttribute; reason: string }> = [];
  const wasDerived = new Set<DerivedAttribute>(current?.derivedFromGudid ?? []);
  const derived = new Set<DerivedAttribute>(wasDerived);
  let next: { -readonly [K in keyof ClinicalAttributes]: ClinicalAttributes[K] } | null = current === null ? null : { ...current };

  if (evidence.component !== undefined) {
    if (next === null) {
      next = { component: evidence.component, laterality: null, system: null, taper: null, bearing: null, headDiameterMm: null, innerDiameterMm: null, outerDiameterMm: null };
      derived.add('component');
    } else if (next.component !== evidence.component) {
      if (wasDerived.has('component')) {
        next.component = evidence.component;
        for (const a of SIZE_ATTRIBUTES) {
          if (wasDerived.has(a)) {
            next[a] = null;
            derived.delete(a);
          }
        }
      } else {
        kept.push({ attribute: 'component', reason: `component: kept ${next.component} (set explicitly); GUDID's GMDN term says ${evidence.component}` });
      }
    }
  }

  for (const a of SIZE_ATTRIBUTES) {
    const mm = evidence.sizes?.[a];
    if (mm === undefined) continue;
    if (next === null) {
      kept.push({ attribute: a, reason: `${a}: ${mm} mm not applied, the component is not known` });
      continue;
    }
    if (next[a] === null || derived.has(a)) {
      next[a] = mm;
      derived.add(a);
    } else if (next[a] !== mm) {
      kept.push({ attribute: a, reason: `${a}: kept ${next[a]} mm (set explicitly); GUDID says ${mm} mm` });
    }
  }

  if (next === null) return { clinical: null, kept };
  const rest: ClinicalAttributes = { ...next };
  delete (rest as { derivedFromGudid?: unknown }).derivedFromGudid;
  const list = (['component', ...SIZE_ATTRIBUTES] as const).filter((a) => derived.has(a));
  return { clinical: list.length === 0 ? rest : { ...rest, derivedFromGudid: list }, kept };
}
