/**
 * The demo trust: a fictional NHS trust with its theatres, staff and the hip
 * and knee implants it buys, for `npm run demo`. Every name is invented.
 *
 * GS1 keys use the company prefixes 952xxxx: GS1 keeps prefix 952 for
 * demonstrations and examples, so no real product, place or person carries
 * them. Check digits are computed, never typed.
 */
import { gs1CheckDigit } from '../../src/barcode/gs1/check-digit.js';

/** A GS1 key of the given body with its mod-10 check digit. */
export const withCheckDigit = (body: string): string => `${body}${gs1CheckDigit(body)}`;

export const DEMO_TRUST = { odsCode: 'DEMO', name: 'Demo Vale Hospitals NHS Foundation Trust (fictional)' } as const;

/** The trust's own GS1 company prefix: its places (GLN) and its staff badges (GSRN). */
const TRUST_PREFIX = '9520900';

export interface DemoTheatre {
  readonly gln: string;
  readonly name: string;
  /** The tablet on the theatre trolley (the scans' scannerId). */
  readonly scannerId: string;
}

export const THEATRES: readonly DemoTheatre[] = [1, 2, 3, 4].map((n) => ({
  gln: withCheckDigit(`${TRUST_PREFIX}${String(100 + n).padStart(5, '0')}`),
  name: `Elective Orthopaedic Theatre ${n}, Vale Treatment Centre`,
  scannerId: `EOT${n}-TABLET`,
}));

export interface DemoStaff {
  readonly gsrn: string;
  readonly name: string;
  readonly role: string;
  /** Leads hip or knee operations (both: a consultant who does both). */
  readonly leads: readonly ('hip' | 'knee')[];
}

const staff = (n: number, name: string, role: string, leads: DemoStaff['leads'] = []): DemoStaff => ({
  gsrn: withCheckDigit(`${TRUST_PREFIX}${String(n).padStart(10, '0')}`),
  name,
  role,
  leads,
});

export const STAFF: readonly DemoStaff[] = [
  staff(1001, 'Ms Anika Raman', 'consultant orthopaedic surgeon', ['hip']),
  staff(1002, 'Mr Tomas Okafor', 'consultant orthopaedic surgeon', ['hip', 'knee']),
  staff(1003, 'Mr Callum Fairley', 'consultant orthopaedic surgeon', ['knee']),
  staff(1004, 'Miss Helen Drummond', 'consultant orthopaedic surgeon', ['hip']),
  staff(1005, 'Mr Yusuf Haddad', 'consultant orthopaedic surgeon', ['knee']),
  staff(1006, 'Ms Grace Whitlow', 'consultant orthopaedic surgeon', ['hip', 'knee']),
  staff(2001, 'Sam Pereira', 'scrub practitioner'),
  staff(2002, 'Jo Marsh', 'scrub practitioner'),
  staff(2003, 'Ewan Kettle', 'theatre nurse'),
  staff(2004, 'Priya Lal', 'theatre nurse'),
];

export const MANUFACTURERS = {
  northbridge: { name: 'Northbridge Orthopaedics Ltd', prefix: '9520011' },
  wendover: { name: 'Wendover Surgical plc', prefix: '9520012' },
  calder: { name: 'Calder Joint Systems Ltd', prefix: '9520013' },
} as const;
export type ManufacturerKey = keyof typeof MANUFACTURERS;

export type ComponentKind =
  | 'hip-stem'
  | 'femoral-head'
  | 'acetabular-shell'
  | 'acetabular-liner'
  | 'cemented-cup'
  | 'bone-cement'
  | 'femoral-component'
  | 'tibial-tray'
  | 'tibial-insert'
  | 'patella';

/** Which production identifiers the label carries (GUDID's flags; the catalogue's productionIdentifiers). */
export interface Carries {
  readonly lotNumber: boolean;
  readonly serialNumber: boolean;
  readonly expirationDate: boolean;
  readonly manufacturingDate: boolean;
}

export interface DemoProduct {
  readonly gtin: string;
  readonly kind: ComponentKind;
  readonly maker: ManufacturerKey;
  readonly brand: string;
  readonly model: string;
  readonly description: string;
  readonly carries: Carries;
  /** GS1 DataMatrix on the box (`]d2`), or GS1-128 (`]C1`), as the scanner reports it. */
  readonly symbology: ']d2' | ']C1';
  readonly shelfLifeYears: number;
  /** Days a lot stays on the shelf before the next one arrives. */
  readonly lotSpanDays: number;
  /** Size (stem, shell or cup outer diameter, component size), head diameter, neck, thickness, side: what a case picks by. */
  readonly size: number;
  readonly head?: 28 | 32 | 36;
  readonly neck?: 'S' | 'M' | 'L';
  readonly side?: 'left' | 'right';
  /** Tibial inserts: thickness in mm. */
  readonly thickness?: number;
}

const SERIALISED: Carries = { lotNumber: true, serialNumber: true, expirationDate: true, manufacturingDate: false };
const SERIALISED_MADE: Carries = { lotNumber: true, serialNumber: true, expirationDate: true, manufacturingDate: true };
const LOT_ONLY: Carries = { lotNumber: true, serialNumber: false, expirationDate: true, manufacturingDate: false };
const LOT_ONLY_MADE: Carries = { lotNumber: true, serialNumber: false, expirationDate: true, manufacturingDate: true };

const NECK_NAME = { S: 'short (-3.5 mm)', M: 'medium (+0 mm)', L: 'long (+3.5 mm)' } as const;

function product(maker: ManufacturerKey, itemRef: number, p: Omit<DemoProduct, 'gtin' | 'maker' | 'symbology' | 'shelfLifeYears' | 'lotSpanDays'> & Partial<Pick<DemoProduct, 'symbology' | 'shelfLifeYears' | 'lotSpanDays'>>): DemoProduct {
  return {
    gtin: `0${withCheckDigit(`${MANUFACTURERS[maker].prefix}${String(itemRef).padStart(5, '0')}`)}`,
    maker,
    symbology: ']d2',
    shelfLifeYears: 5,
    lotSpanDays: 120,
    ...p,
  };
}

function catalogue(): DemoProduct[] {
  const out: DemoProduct[] = [];
  // Northbridge: the cementless hip. Aster stem, Aster Delta ceramic heads, Tern shell and liners.
  for (const size of [8, 9, 10, 11, 12, 13, 14, 15, 16]) {
    out.push(product('northbridge', 10_000 + size, { kind: 'hip-stem', brand: 'Aster', model: `Aster HA stem size ${size}`, description: `Cementless hydroxyapatite-coated femoral stem, 12/14 taper, size ${size}`, carries: SERIALISED, size, lotSpanDays: 150 }));
  }
  for (const head of [32, 36] as const) {
    for (const neck of ['S', 'M', 'L'] as const) {
      out.push(product('northbridge', 20_000 + head * 10 + ['S', 'M', 'L'].indexOf(neck), { kind: 'femoral-head', brand: 'Aster Delta', model: `Aster Delta head ${head} mm ${neck}`, description: `Ceramic femoral head ${head} mm, 12/14 taper, neck ${NECK_NAME[neck]}`, carries: SERIALISED, size: head, head, neck }));
    }
  }
  for (const size of [48, 50, 52, 54, 56, 58, 60, 62]) {
    out.push(product('northbridge', 30_000 + size, { kind: 'acetabular-shell', brand: 'Tern', model: `Tern shell ${size} mm`, description: `Cementless titanium acetabular shell, outer diameter ${size} mm`, carries: SERIALISED, size, lotSpanDays: 150 }));
  }
  for (const head of [32, 36] as const) {
    for (const [group, size] of [['A', 48], ['B', 52], ['C', 56], ['D', 60]] as const) {
      out.push(product('northbridge', 40_000 + head * 10 + size / 4, { kind: 'acetabular-liner', brand: 'Tern XL', model: `Tern XL liner ${head} mm, shell group ${group}`, description: `Highly cross-linked polyethylene liner, inner diameter ${head} mm, for Tern shells ${size}-${size + 2} mm`, carries: SERIALISED, size, head }));
    }
  }
  // Wendover: the cemented hip and the bone cement.
  for (const size of [1, 2, 3, 4, 5]) {
    out.push(product('wendover', 11_000 + size, { kind: 'hip-stem', brand: 'Solent', model: `Solent polished taper stem size ${size}`, description: `Cemented polished double-taper femoral stem, 12/14 taper, size ${size}`, carries: SERIALISED_MADE, size, lotSpanDays: 150 }));
  }
  for (const head of [28, 32] as const) {
    for (const neck of ['S', 'M', 'L'] as const) {
      out.push(product('wendover', 21_000 + head * 10 + ['S', 'M', 'L'].indexOf(neck), { kind: 'femoral-head', brand: 'Solent', model: `Solent CoCr head ${head} mm ${neck}`, description: `Cobalt-chrome femoral head ${head} mm, 12/14 taper, neck ${NECK_NAME[neck]}`, carries: SERIALISED_MADE, size: head, head, neck }));
    }
  }
  for (const size of [44, 46, 48, 50, 52, 54, 56]) {
    for (const head of [28, 32] as const) {
      if (head === 32 && size < 48) continue;
      out.push(product('wendover', 31_000 + size * 10 + (head === 32 ? 1 : 0), { kind: 'cemented-cup', brand: 'Solent', model: `Solent cemented cup ${size} mm / ${head} mm`, description: `Cemented all-polyethylene acetabular cup, outer ${size} mm, inner ${head} mm`, carries: LOT_ONLY_MADE, size, head }));
    }
  }
  out.push(product('wendover', 50_040, { kind: 'bone-cement', brand: 'Fixa G', model: 'Fixa G 40 g', description: 'Gentamicin-loaded PMMA bone cement, 40 g powder and 20 ml liquid', carries: LOT_ONLY, size: 40, symbology: ']C1', shelfLifeYears: 2, lotSpanDays: 60 }));
  // Calder: the Kestrel total knee.
  for (const size of [1, 2, 3, 4, 5, 6, 7, 8]) {
    for (const side of ['left', 'right'] as const) {
      out.push(product('calder', 12_000 + size * 10 + (side === 'left' ? 1 : 2), { kind: 'femoral-component', brand: 'Kestrel', model: `Kestrel CR femoral size ${size} ${side}`, description: `Cemented cruciate-retaining femoral component, size ${size}, ${side}`, carries: SERIALISED, size, side }));
    }
  }
  for (const size of [1, 2, 3, 4, 5, 6, 7, 8]) {
    out.push(product('calder', 22_000 + size, { kind: 'tibial-tray', brand: 'Kestrel', model: `Kestrel tibial tray size ${size}`, description: `Cemented cobalt-chrome tibial baseplate, size ${size}`, carries: SERIALISED, size }));
  }
  for (const [group, size] of [['1-2', 1], ['3-4', 3], ['5-6', 5], ['7-8', 7]] as const) {
    for (const mm of [9, 11, 13, 16]) {
      out.push(product('calder', 32_000 + size * 100 + mm, { kind: 'tibial-insert', brand: 'Kestrel', model: `Kestrel CR insert ${mm} mm, sizes ${group}`, description: `Cruciate-retaining polyethylene tibial insert, ${mm} mm, for trays ${group}`, carries: SERIALISED, size, thickness: mm }));
    }
  }
  for (const mm of [32, 35, 38]) {
    out.push(product('calder', 42_000 + mm, { kind: 'patella', brand: 'Kestrel', model: `Kestrel patella ${mm} mm`, description: `Cemented all-polyethylene patellar button, ${mm} mm`, carries: LOT_ONLY, size: mm }));
  }
  return out;
}

export const PRODUCTS: readonly DemoProduct[] = catalogue();

/**
 * The Field Safety Notice the demo is built around: one batch of 36 mm medium
 * ceramic heads. Its lot was on the shelf for a spell a year or so ago, so a
 * handful of patients received one; one of them has been revised since.
 */
export const RECALL = {
  reference: 'FSN-NBO-2026-031',
  title: 'Aster Delta 36 mm heads, one batch: risk of fracture on impaction',
  manufacturer: MANUFACTURERS.northbridge.name,
  gtin: (PRODUCTS.find((p) => p.kind === 'femoral-head' && p.maker === 'northbridge' && p.head === 36 && p.neck === 'M') as DemoProduct).gtin,
  lot: 'NH52874',
  /** The lot was in use from this many days before the seed's "now" … */
  inUseFromDaysAgo: 470,
  /** … to this many. */
  inUseToDaysAgo: 330,
  /** The notice arrived, and the recall was entered, this many days ago. */
  issuedDaysAgo: 10,
} as const;
