/**
 * The clinical attributes of an implant that the compatibility checks read:
 * which component it is (of which joint), its side, the manufacturer's system,
 * its taper, bearing material class and sizes. Every attribute but the
 * component may be unknown; a check that needs an unknown one says it could
 * not check, and never answers "compatible".
 */

/** Components by joint: what a product is, as far as the checks are concerned. */
export const JOINT_COMPONENTS = {
  hip: ['femoral-stem', 'femoral-head', 'bipolar-head', 'acetabular-shell', 'acetabular-liner', 'acetabular-cup'],
  knee: ['femoral-component', 'tibial-tray', 'tibial-insert', 'patella'],
  shoulder: ['humeral-stem', 'humeral-head', 'humeral-insert', 'glenoid-component', 'glenoid-baseplate', 'glenosphere'],
  other: ['other'],
} as const;

export type Joint = keyof typeof JOINT_COMPONENTS;
export type Component = (typeof JOINT_COMPONENTS)[Joint][number];
export const COMPONENTS = Object.values(JOINT_COMPONENTS).flat() as readonly Component[];

const JOINT_OF = new Map<Component, Joint>(
  (Object.entries(JOINT_COMPONENTS) as [Joint, readonly Component[]][]).flatMap(([joint, components]) => components.map((c) => [c, joint] as const)),
);
export function jointOf(component: Component): Joint {
  return JOINT_OF.get(component) ?? 'other';
}

export const LATERALITIES = ['left', 'right', 'none'] as const;
export type Laterality = (typeof LATERALITIES)[number];

/** Bearing material classes. Ceramicised metal (oxidised zirconium) is its own class: neither metal nor ceramic. */
export const BEARINGS = ['metal', 'ceramic', 'polyethylene', 'ceramicised-metal', 'other'] as const;
export type Bearing = (typeof BEARINGS)[number];

export interface ClinicalAttributes {
  readonly component: Component;
  readonly laterality: Laterality | null;
  /** The manufacturer's product family (e.g. a hip system), as the manufacturer names it. */
  readonly system: string | null;
  /** The taper's name (e.g. 12/14): the trunnion of a stem, the bore of a head. */
  readonly taper: string | null;
  readonly bearing: Bearing | null;
  readonly headDiameterMm: number | null;
  readonly innerDiameterMm: number | null;
  readonly outerDiameterMm: number | null;
  /**
   * The attributes derived from what GUDID publishes (GMDN term, sizes) rather
   * than set explicitly; absent when none. A GUDID import may correct these,
   * never the others.
   */
  readonly derivedFromGudid?: readonly DerivedAttribute[];
}

/** The size attributes, in millimetres. */
export type SizeAttribute = 'headDiameterMm' | 'innerDiameterMm' | 'outerDiameterMm';
/** The attributes a GUDID import can derive: the component (GMDN term) and the sizes (deviceSizes). */
export const DERIVED_ATTRIBUTES = ['component', 'headDiameterMm', 'innerDiameterMm', 'outerDiameterMm'] as const;
export type DerivedAttribute = (typeof DERIVED_ATTRIBUTES)[number];

/** The size and taper attributes a rule may compare. */
export const COMPARABLE_ATTRIBUTES = ['taper', 'headDiameterMm', 'innerDiameterMm', 'outerDiameterMm'] as const;
export type ComparableAttribute = (typeof COMPARABLE_ATTRIBUTES)[number];

/** The words a nurse reads for each component and attribute. */
export const COMPONENT_NAMES: { readonly [C in Component]: string } = {
  'femoral-stem': 'femoral stem',
  'femoral-head': 'femoral head',
  'bipolar-head': 'bipolar head',
  'acetabular-shell': 'acetabular shell',
  'acetabular-liner': 'acetabular liner',
  'acetabular-cup': 'acetabular cup',
  'femoral-component': 'femoral component',
  'tibial-tray': 'tibial tray',
  'tibial-insert': 'tibial insert',
  patella: 'patella',
  'humeral-stem': 'humeral stem',
  'humeral-head': 'humeral head',
  'humeral-insert': 'humeral insert',
  'glenoid-component': 'glenoid component',
  'glenoid-baseplate': 'glenoid baseplate',
  glenosphere: 'glenosphere',
  other: 'implant',
};

export const ATTRIBUTE_NAMES: { readonly [A in ComparableAttribute]: string } = {
  taper: 'taper',
  headDiameterMm: 'head diameter',
  innerDiameterMm: 'inner diameter',
  outerDiameterMm: 'outer diameter',
};
