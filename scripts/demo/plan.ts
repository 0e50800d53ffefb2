/**
 * Two years of a trust's hip and knee operations, planned before anything is
 * sent: who, where, when, and every box opened, as a theatre would scan it.
 * Pure and deterministic: the same `now` gives the same plan, and every count
 * (procedures, items, the recall's patients) is the same whatever `now` is,
 * because all chance is drawn from fixed seeds in a fixed order and the
 * calendar (weekends) only moves a case by a day, never changes what it is.
 */
import { GS, parseBarcode } from '../../src/barcode/index.js';
import type { ItemAction, Side } from '../../src/domain/vocabulary.js';
import { nhsNumberError } from '../../src/shared/nhs-number.js';
import { PRODUCTS, RECALL, STAFF, THEATRES, type ComponentKind, type DemoProduct, type DemoStaff, type DemoTheatre } from './trust.js';

/** The seed of every random draw: change it and the demo is another (equally valid) trust. */
export const DEMO_SEED = 20_261_207;
/** How far back the history goes. */
export const HISTORY_DAYS = 730;
/** Patients who have a primary hip or knee replacement here. */
const PRIMARY_PATIENTS = 340;
const REVISIONS = 12;
const EXPIRED_CEMENT_CASES = 4;

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** A small, fast PRNG (mulberry32): plenty for test data, and the same on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A number for a string (FNV-1a), to give each product its own stream of chance. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

class Chance {
  constructor(readonly next: () => number) {}
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  /** Roughly normal around the middle of the list (sizes of people's bones). */
  middling<T>(items: readonly T[]): T {
    const u = (this.next() + this.next() + this.next()) / 3;
    return items[Math.min(items.length - 1, Math.floor(u * items.length))] as T;
  }
}

/**
 * NHS numbers from the range the NHS keeps for testing (999 000 0000 to
 * 999 999 9999), each passing the modulus 11 check, in order from `from`.
 */
export function testNhsNumbers(count: number, from = 999_000_000): string[] {
  const out: string[] = [];
  for (let body = from; out.length < count; body++) {
    if (body > 999_999_999) throw new Error('out of the NHS test range');
    for (let check = 0; check <= 9; check++) {
      const candidate = `${body}${check}`;
      if (nhsNumberError(candidate) === undefined) {
        out.push(candidate);
        break;
      }
    }
  }
  return out;
}

/** One physical unit: a box with its label. */
export interface Unit {
  readonly product: DemoProduct;
  readonly lot: string;
  readonly serial: string | null;
  /** YYYY-MM-DD */
  readonly expiry: string;
  /** YYYY-MM-DD */
  readonly made: string;
}

const isoDate = (d: Date) => d.toISOString().slice(0, 10);
/** Monday to Friday, and not a bank holiday on which no theatre list runs. */
export const isWorkingDay = (d: Date) => ![0, 6].includes(d.getUTCDay()) && !['12-25', '12-26', '01-01'].includes(isoDate(d).slice(5));
const yymmdd = (date: string) => `${date.slice(2, 4)}${date.slice(5, 7)}${date.slice(8, 10)}`;

/** The label as the scanner sends it: symbology identifier, AIs in label order, GS after the lot when a serial follows. */
export function labelOf(unit: Unit): string {
  const p = unit.product;
  return (
    `${p.symbology}01${p.gtin}` +
    (p.carries.manufacturingDate ? `11${yymmdd(unit.made)}` : '') +
    `17${yymmdd(unit.expiry)}` +
    `10${unit.lot}` +
    (unit.serial === null ? '' : `${GS}21${unit.serial}`)
  );
}

/** What a person types when the label cannot be scanned (a torn box, an explanted device read from the record). */
export function manualEntryOf(unit: Unit, withExpiry = true) {
  return {
    gtin: unit.product.gtin,
    lotNumber: unit.lot,
    ...(unit.serial === null ? {} : { serialNumber: unit.serial }),
    ...(withExpiry ? { expirationDate: unit.expiry } : {}),
  };
}

export type ExpectedWarning = 'PRODUCT_EXPIRED' | 'PRODUCT_RECALLED';

export interface PlannedScan {
  readonly at: Date;
  readonly unit: Unit;
  readonly action: ItemAction;
  readonly entry: 'barcode' | 'manual';
  /** The warnings the service must give; the seed stops if it gives others. */
  readonly expect: readonly ExpectedWarning[];
  /** After a critical warning: what the theatre did with the item. */
  readonly decision?: { readonly outcome: 'not-used'; readonly disposition: 'wasted' | 'quarantined' | 'returned-to-stock' };
  /** Scanned by mistake and voided a minute later. */
  readonly voidReason?: string;
}

export interface PlannedPatient {
  readonly nhsNumber: string;
  readonly dateOfBirth: string;
  /** NJR consent recorded at the first operation; none: never asked. */
  readonly njrConsent: 'granted' | 'withdrawn' | null;
}

export interface PlannedProcedure {
  readonly kind: 'procedure';
  readonly ref: string;
  readonly patient: PlannedPatient;
  /** The patient's first operation here: consent is recorded then. */
  readonly firstForPatient: boolean;
  readonly what: 'primary' | 'revision';
  readonly joint: 'hip' | 'knee';
  readonly theatre: DemoTheatre;
  readonly surgeon: DemoStaff;
  readonly procedureCode: string;
  readonly side: Side;
  readonly startedAt: Date;
  readonly completedAt: Date;
  readonly scans: readonly PlannedScan[];
}

export interface PlannedRecall {
  readonly kind: 'recall';
  readonly at: Date;
  readonly issuedAt: string;
}

/** Contact tracking after the notice: the first patients (by NHS number) contacted, one reviewed, the revised one marked explanted. */
export interface PlannedContacts {
  readonly kind: 'contacts';
  readonly at: Date;
  readonly contacted: number;
  readonly reviewed: number;
}

export type PlannedEvent = PlannedProcedure | PlannedRecall | PlannedContacts;

export interface DemoPlan {
  readonly now: Date;
  readonly events: readonly PlannedEvent[];
  readonly patients: readonly PlannedPatient[];
  readonly counts: {
    readonly procedures: number;
    readonly primaries: number;
    readonly revisions: number;
    readonly patients: number;
    readonly implanted: number;
    readonly wasted: number;
    readonly notUsed: number;
    readonly explanted: number;
    readonly voided: number;
    readonly typed: number;
    /** Patients who received a unit of the recalled lot (whether or not it was explanted since). */
    readonly recallPatients: number;
    /** Of those, how many had it explanted. */
    readonly recallExplanted: number;
  };
}

/** Lots, serials and expiry of the units a trust draws from its shelves, day by day of the history. */
class Stock {
  private readonly serials = new Map<string, number>();
  private readonly lots = new Map<string, { lot: string; made: string; expiry: string }>();

  constructor(
    private readonly start: Date,
    private readonly today: Date,
  ) {}

  private dayDate(day: number): Date {
    return new Date(this.start.getTime() + day * DAY_MS);
  }

  /** The unit of `product` on the shelf on day `day` of the history. */
  take(product: DemoProduct, day: number): Unit {
    const lot = this.lotOn(product, day);
    return { product, ...lot, serial: product.carries.serialNumber ? this.nextSerial(product, lot.lot, lot) : null };
  }

  /** A pack of cement from an old box found at the back of the shelf: expired `daysAgo` before `day`. */
  expired(product: DemoProduct, day: number, daysAgo: number): Unit {
    const expiry = isoDate(this.dayDate(day - daysAgo));
    const made = isoDate(new Date(Date.parse(expiry) - product.shelfLifeYears * 365 * DAY_MS));
    const lot = this.cleanLot(product, `expired-${day}`, made, expiry);
    return { product, lot, serial: null, made, expiry };
  }

  private lotOn(product: DemoProduct, day: number): { lot: string; made: string; expiry: string } {
    if (product.gtin === RECALL.gtin && day >= HISTORY_DAYS - RECALL.inUseFromDaysAgo && day < HISTORY_DAYS - RECALL.inUseToDaysAgo) {
      const made = isoDate(this.dayDate(HISTORY_DAYS - RECALL.inUseFromDaysAgo - 75));
      return { lot: RECALL.lot, made, expiry: isoDate(new Date(Date.parse(made) + product.shelfLifeYears * 365 * DAY_MS)) };
    }
    const phase = hash(`${product.gtin}/phase`) % product.lotSpanDays;
    const index = Math.floor((day + phase) / product.lotSpanDays);
    const key = `${product.gtin}/${index}`;
    const known = this.lots.get(key);
    if (known) return known;
    const chance = new Chance(prng(hash(key)));
    const arrives = index * product.lotSpanDays - phase;
    const made = isoDate(this.dayDate(arrives - chance.int(30, 150)));
    const expiry = isoDate(new Date(Date.parse(made) + product.shelfLifeYears * 365 * DAY_MS));
    const lot = { lot: this.cleanLot(product, key, made, expiry), made, expiry };
    this.lots.set(key, lot);
    return lot;
  }

  /**
   * A lot code in the maker's style whose label reads back exactly, with no
   * warning (lots that happen to contain "17" and a date, or "21", are skipped:
   * the demo is about real warnings, not the parser's caution).
   */
  private cleanLot(product: DemoProduct, key: string, made: string, expiry: string): string {
    const chance = new Chance(prng(hash(`${key}/lot`)));
    for (let attempt = 0; attempt < 1000; attempt++) {
      const lot = lotCode(product, chance);
      if (lot !== RECALL.lot && readsClean({ product, lot, serial: product.carries.serialNumber ? 'X1' : null, made, expiry }, this.today)) return lot;
    }
    throw new Error(`no lot code of ${product.gtin} reads back without a warning`);
  }

  private nextSerial(product: DemoProduct, lot: string, l: { made: string; expiry: string }): string {
    let n = this.serials.get(product.gtin) ?? 1 + (hash(`${product.gtin}/serial`) % 40_000);
    for (let attempt = 0; attempt < 1000; attempt++) {
      n++;
      const serial = serialCode(product, n);
      if (readsClean({ product, lot, serial, ...l }, this.today)) {
        this.serials.set(product.gtin, n);
        return serial;
      }
    }
    throw new Error(`no serial of ${product.gtin} lot ${lot} reads back without a warning`);
  }
}

const KIND_LETTER: Record<ComponentKind, string> = {
  'hip-stem': 'S',
  'femoral-head': 'H',
  'acetabular-shell': 'C',
  'acetabular-liner': 'L',
  'cemented-cup': 'C',
  'bone-cement': 'G',
  'femoral-component': 'F',
  'tibial-tray': 'T',
  'tibial-insert': 'I',
  patella: 'P',
};

function lotCode(p: DemoProduct, chance: Chance): string {
  const digits = (n: number) => String(chance.int(10 ** (n - 1), 10 ** n - 1));
  switch (p.maker) {
    case 'northbridge':
      // NH48213: maker, kind, batch number.
      return `N${KIND_LETTER[p.kind]}${digits(5)}`;
    case 'wendover':
      // WK4821B: maker, plant, batch, shift.
      return `W${chance.pick(['K', 'M', 'R'])}${digits(4)}${chance.pick(['A', 'B', 'C', 'D'])}`;
    case 'calder':
      // 7-digit numeric batch numbers.
      return digits(7);
  }
}

/**
 * The n-th serial of a product, in the maker's style. Numbers are scattered
 * (n times a prime, modulo the range: one serial per n, never twice), as makers'
 * serials are across a hospital's shelves; consecutive ones would share long
 * runs of digits that the parser rightly reads as possible run-ons.
 */
function serialCode(p: DemoProduct, n: number): string {
  const scatter = (range: number) => (n * 2_654_435_761) % range;
  switch (p.maker) {
    case 'northbridge':
      // Below 9000000: serials the README's walkthrough uses (S9…, H9…) are never in the demo's patients.
      return `${KIND_LETTER[p.kind]}${1_000_000 + scatter(8_000_000)}`;
    case 'wendover':
      return `WS${100_000 + scatter(900_000)}`;
    case 'calder':
      return `K${10_000_000 + scatter(90_000_000)}`;
  }
}

function readsClean(unit: Unit, today: Date): boolean {
  const r = parseBarcode(labelOf(unit), { today });
  return r.valid && r.warnings.length === 0 && r.lotNumber === unit.lot && (r.serialNumber ?? null) === unit.serial && r.expirationDate === unit.expiry;
}

const byKind = (kind: ComponentKind, maker?: string) => PRODUCTS.filter((p) => p.kind === kind && (maker === undefined || p.maker === maker));
const find = (pred: (p: DemoProduct) => boolean): DemoProduct => {
  const found = PRODUCTS.find(pred);
  if (!found) throw new Error('the demo catalogue lacks a product the plan needs');
  return found;
};
const CEMENT = find((p) => p.kind === 'bone-cement');

/** The components of one operation, in the order the scrub team opens them, with the wrong-size box now and then. */
interface Case {
  readonly joint: 'hip' | 'knee';
  readonly cemented: boolean;
  readonly side: 'left' | 'right';
  readonly picks: DemoProduct[];
}

function primaryCase(c: Chance): Case {
  const side = c.chance(0.5) ? 'left' : 'right';
  if (c.chance(0.58)) {
    if (c.chance(0.6)) {
      // Cementless hip: shell, liner, stem, head.
      const shell = c.middling(byKind('acetabular-shell'));
      const head: 32 | 36 = shell.size >= 52 && c.chance(0.7) ? 36 : 32;
      const neck = c.chance(0.6) ? 'M' : c.pick(['S', 'L'] as const);
      const group = shell.size - ((shell.size - 48) % 4);
      const liner = find((p) => p.kind === 'acetabular-liner' && p.head === head && p.size === group);
      const stem = c.middling(byKind('hip-stem', 'northbridge'));
      const ball = find((p) => p.kind === 'femoral-head' && p.maker === 'northbridge' && p.head === head && p.neck === neck);
      return { joint: 'hip', cemented: false, side, picks: [shell, liner, stem, ball] };
    }
    // Cemented hip: cement, cup, cement, stem, head.
    const cup = c.middling(byKind('cemented-cup'));
    const stem = c.middling(byKind('hip-stem', 'wendover'));
    const neck = c.chance(0.6) ? 'M' : c.pick(['S', 'L'] as const);
    const ball = find((p) => p.kind === 'femoral-head' && p.maker === 'wendover' && p.head === cup.head && p.neck === neck);
    return { joint: 'hip', cemented: true, side, picks: [CEMENT, cup, CEMENT, stem, ball] };
  }
  // Cemented knee: cement, cement, tray, femoral, insert, patella (often).
  const size = c.middling([1, 2, 3, 4, 5, 6, 7, 8]);
  const tray = find((p) => p.kind === 'tibial-tray' && p.size === size);
  const femoralSize = Math.min(8, Math.max(1, size + c.int(-1, 1)));
  const femoral = find((p) => p.kind === 'femoral-component' && p.size === femoralSize && p.side === side);
  const thickness = c.middling([9, 11, 13, 16]);
  const insert = find((p) => p.kind === 'tibial-insert' && p.size === size - ((size - 1) % 2) && p.thickness === thickness);
  const picks = [CEMENT, CEMENT, tray, femoral, insert];
  if (c.chance(0.55)) picks.push(c.middling(byKind('patella')));
  return { joint: 'knee', cemented: true, side, picks };
}

/** A neighbouring size of the same kind: the box opened by mistake. */
function neighbour(p: DemoProduct, c: Chance): DemoProduct {
  const same = PRODUCTS.filter((q) => q.kind === p.kind && q.maker === p.maker && q.gtin !== p.gtin && q.side === p.side && q.head === p.head);
  return same.length > 0 ? c.pick(same) : p;
}

const CODES = {
  hip: { primary: { cemented: 'W37.1', cementless: 'W38.1' }, revision: { cemented: 'W37.3', cementless: 'W38.3' } },
  knee: { primary: 'W40.1', revision: 'W40.3' },
} as const;

interface Slotted {
  startedAt: Date;
  theatre: DemoTheatre;
}

/** Builds the plan for a history ending at `now`. */
export function demoPlan(now: Date): DemoPlan {
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const start = new Date(today.getTime() - HISTORY_DAYS * DAY_MS);
  const stock = new Stock(start, now);
  const c = new Chance(prng(DEMO_SEED));
  const nhs = testNhsNumbers(PRIMARY_PATIENTS);
  const slots = new Map<string, number>();

  /**
   * A working day at a free time in a theatre: a Saturday moves to the Friday before, a Sunday to the
   * Monday after, and Christmas, Boxing Day and New Year's Day to the working day before.
   */
  const slot = (day: number, theatre: DemoTheatre): Slotted => {
    let date = new Date(start.getTime() + day * DAY_MS);
    if (date.getUTCDay() === 0) date = new Date(date.getTime() + DAY_MS);
    while (!isWorkingDay(date)) date = new Date(date.getTime() - DAY_MS);
    const key = `${isoDate(date)}/${theatre.gln}`;
    const n = slots.get(key) ?? 0;
    slots.set(key, n + 1);
    return { startedAt: new Date(date.getTime() + (8 * 60 + 15 + n * 150) * MINUTE_MS), theatre };
  };

  interface Primary {
    patient: PlannedPatient;
    day: number;
    kase: Case;
    procedure: PlannedProcedure;
    implanted: Unit[];
  }
  const primaries: Primary[] = [];
  const events: PlannedEvent[] = [];
  let refs = 0;
  const nextRef = () => `demo-case-${String(++refs).padStart(4, '0')}`;
  const surgeonFor = (joint: 'hip' | 'knee') => c.pick(STAFF.filter((s) => s.leads.includes(joint)));

  /** The scans of a case: each component, sometimes a wrong size opened and wasted, or scanned by mistake and voided, or typed in. */
  const scansOf = (kase: Case, day: number, startedAt: Date, extras: { expiredCement?: boolean; recalledHead?: boolean } = {}) => {
    const scans: PlannedScan[] = [];
    const implanted: Unit[] = [];
    let t = startedAt.getTime() + c.int(25, 45) * MINUTE_MS;
    const later = (min: number, max: number) => new Date((t += c.int(min, max) * MINUTE_MS));
    const wasteAt = c.chance(0.06) ? c.int(0, kase.picks.length - 1) : -1;
    const voidAt = c.chance(0.03) ? c.int(0, kase.picks.length - 1) : -1;
    const typeAt = c.chance(0.04) ? c.int(0, kase.picks.length - 1) : -1;
    kase.picks.forEach((product, k) => {
      if (k === 0 && extras.expiredCement === true && product.kind === 'bone-cement') {
        scans.push({ at: later(1, 3), unit: stock.expired(product, day, c.int(5, 60)), action: 'implanted', entry: 'barcode', expect: ['PRODUCT_EXPIRED'], decision: { outcome: 'not-used', disposition: 'wasted' } });
      }
      if (extras.recalledHead === true && product.kind === 'femoral-head') {
        const recalled = { ...stock.take(product, HISTORY_DAYS - RECALL.inUseFromDaysAgo), lot: RECALL.lot };
        scans.push({ at: later(2, 4), unit: recalled, action: 'implanted', entry: 'barcode', expect: ['PRODUCT_RECALLED'], decision: { outcome: 'not-used', disposition: 'quarantined' } });
      }
      if (k === wasteAt) scans.push({ at: later(2, 6), unit: stock.take(neighbour(product, c), day), action: 'wasted', entry: 'barcode', expect: [] });
      if (k === voidAt) {
        scans.push({ at: later(2, 6), unit: stock.take(neighbour(product, c), day), action: 'implanted', entry: 'barcode', expect: [], voidReason: 'Wrong box scanned; returned to the shelf unopened' });
      }
      const unit = stock.take(product, day);
      implanted.push(unit);
      scans.push({ at: later(3, 12), unit, action: 'implanted', entry: k === typeAt ? 'manual' : 'barcode', expect: [] });
    });
    return { scans, implanted, end: new Date(t + c.int(30, 70) * MINUTE_MS) };
  };

  const procedure = (p: Omit<PlannedProcedure, 'kind' | 'ref'>): PlannedProcedure => ({ kind: 'procedure', ref: nextRef(), ...p });

  const codeOf = (kase: Case, what: 'primary' | 'revision') =>
    kase.joint === 'knee' ? CODES.knee[what] : CODES.hip[what][kase.cemented ? 'cemented' : 'cementless'];

  // Primary operations, one patient each; a few patients come back for the other side.
  // An expired pack of cement turns up now and then: in the first cemented case after each of these points.
  const expiredFrom = Array.from({ length: EXPIRED_CEMENT_CASES }, (_, i) => Math.floor(((i + 0.5) * PRIMARY_PATIENTS) / EXPIRED_CEMENT_CASES));
  const staged: Array<{ patient: PlannedPatient; day: number; side: 'left' | 'right'; joint: 'hip' | 'knee' }> = [];
  for (let i = 0; i < PRIMARY_PATIENTS; i++) {
    const day = c.int(0, HISTORY_DAYS - 12);
    const kase = primaryCase(c);
    const age = c.int(48, 91);
    const birth = new Date(start.getTime() + (day - age * 365.25 - c.int(0, 364)) * DAY_MS);
    const consentDraw = c.next();
    const patient: PlannedPatient = { nhsNumber: nhs[i] as string, dateOfBirth: isoDate(birth), njrConsent: consentDraw < 0.93 ? 'granted' : consentDraw < 0.95 ? 'withdrawn' : null };
    const at = slot(day, c.pick(THEATRES));
    const expiredCement = kase.cemented && expiredFrom[0] !== undefined && i >= expiredFrom[0];
    if (expiredCement) expiredFrom.shift();
    const { scans, implanted, end } = scansOf(kase, day, at.startedAt, { expiredCement });
    const proc = procedure({ patient, firstForPatient: true, what: 'primary', joint: kase.joint, theatre: at.theatre, surgeon: surgeonFor(kase.joint), procedureCode: codeOf(kase, 'primary'), side: kase.side, startedAt: at.startedAt, completedAt: end, scans });
    primaries.push({ patient, day, kase, procedure: proc, implanted });
    events.push(proc);
    if (c.chance(0.06) && day < HISTORY_DAYS - 200) staged.push({ patient, day: day + c.int(90, 180), side: kase.side === 'left' ? 'right' : 'left', joint: kase.joint });
  }
  for (const s of staged) {
    let kase = primaryCase(c);
    while (kase.joint !== s.joint || kase.side !== s.side) kase = primaryCase(c);
    const at = slot(s.day, c.pick(THEATRES));
    const { scans, end } = scansOf(kase, s.day, at.startedAt);
    events.push(procedure({ patient: s.patient, firstForPatient: false, what: 'primary', joint: kase.joint, theatre: at.theatre, surgeon: surgeonFor(kase.joint), procedureCode: codeOf(kase, 'primary'), side: kase.side, startedAt: at.startedAt, completedAt: end, scans }));
  }

  // Revisions: the components that failed come out (typed in from the implant record), new ones go in.
  const received = (p: Primary) => p.implanted.some((u) => u.lot === RECALL.lot && u.product.gtin === RECALL.gtin);
  const recallDay = HISTORY_DAYS - RECALL.issuedDaysAgo;
  const recalledPatient = primaries.find((p) => received(p) && p.day < recallDay - 120);
  const candidates = primaries.filter((p) => p !== recalledPatient && p.day < HISTORY_DAYS - 130 && !received(p));
  const revised = [...(recalledPatient ? [recalledPatient] : [])];
  while (revised.length < REVISIONS) {
    const p = c.pick(candidates);
    if (!revised.includes(p)) revised.push(p);
  }
  for (const p of revised) {
    // The recalled patient's dislocation was treated before the notice came (and after the batch had left the shelves).
    const day = p === recalledPatient ? c.int(HISTORY_DAYS - RECALL.inUseToDaysAgo + 5, recallDay - 20) : Math.min(HISTORY_DAYS - 12, p.day + c.int(40, 500));
    const { kase } = p;
    const kinds: ComponentKind[] =
      kase.joint === 'knee'
        ? c.chance(0.6) ? ['tibial-insert'] : ['femoral-component', 'tibial-tray', 'tibial-insert']
        : !kase.cemented && (p === recalledPatient || c.chance(0.6)) ? ['femoral-head', 'acetabular-liner']
        : ['hip-stem', 'femoral-head'];
    const out = p.implanted.filter((u) => kinds.includes(u.product.kind));
    const at = slot(day, c.pick(THEATRES));
    let t = at.startedAt.getTime() + c.int(30, 60) * MINUTE_MS;
    const explants: PlannedScan[] = out.map((unit) => ({ at: new Date((t += c.int(2, 8) * MINUTE_MS)), unit, action: 'explanted', entry: 'manual', expect: [] }));
    const replacement: Case = {
      ...kase,
      picks: [
        ...(kinds.includes('femoral-component') || (kase.joint === 'hip' && kase.cemented) ? [CEMENT, CEMENT] : []),
        ...out.map((u) => (u.product.kind === 'tibial-insert' ? find((q) => q.kind === 'tibial-insert' && q.size === u.product.size && q.thickness === 16) : u.product)),
      ],
    };
    const { scans, end } = scansOf(replacement, day, new Date(t));
    events.push(
      procedure({ patient: p.patient, firstForPatient: false, what: 'revision', joint: kase.joint, theatre: at.theatre, surgeon: surgeonFor(kase.joint), procedureCode: codeOf(kase, 'revision'), side: kase.side, startedAt: at.startedAt, completedAt: end, scans: [...explants, ...scans] }),
    );
  }

  // The notice arrives; the team starts contacting patients; a unit of the batch left on a shelf is caught at the point of use.
  const recallAt = new Date(start.getTime() + recallDay * DAY_MS + 10 * 60 * MINUTE_MS);
  events.push({ kind: 'recall', at: recallAt, issuedAt: isoDate(new Date(recallAt.getTime() - 2 * DAY_MS)) });
  events.push({ kind: 'contacts', at: new Date(recallAt.getTime() + 3 * DAY_MS), contacted: 3, reviewed: 1 });
  {
    let kase = primaryCase(c);
    while (!(kase.joint === 'hip' && !kase.cemented && kase.picks.some((p) => p.gtin === RECALL.gtin))) kase = primaryCase(c);
    const patient: PlannedPatient = { nhsNumber: testNhsNumbers(1, 999_000_000 + 10_000)[0] as string, dateOfBirth: '1951-03-14', njrConsent: 'granted' };
    const day = HISTORY_DAYS - 4;
    const at = slot(day, THEATRES[0] as DemoTheatre);
    const { scans, end } = scansOf(kase, day, at.startedAt, { recalledHead: true });
    events.push(procedure({ patient, firstForPatient: true, what: 'primary', joint: 'hip', theatre: at.theatre, surgeon: surgeonFor('hip'), procedureCode: codeOf(kase, 'primary'), side: kase.side, startedAt: at.startedAt, completedAt: end, scans }));
  }

  const timeOf = (e: PlannedEvent) => (e.kind === 'procedure' ? e.startedAt : e.at).getTime();
  events.sort((a, b) => timeOf(a) - timeOf(b));

  const procedures = events.filter((e): e is PlannedProcedure => e.kind === 'procedure');
  const allScans = procedures.flatMap((p) => p.scans);
  const isRecalled = (s: PlannedScan) => s.unit.product.gtin === RECALL.gtin && s.unit.lot === RECALL.lot;
  const recallPatients = new Set(procedures.filter((p) => p.scans.some((s) => isRecalled(s) && s.action === 'implanted' && s.voidReason === undefined && s.decision === undefined)).map((p) => p.patient.nhsNumber));
  return {
    now,
    events,
    patients: [...new Map(procedures.map((p) => [p.patient.nhsNumber, p.patient])).values()],
    counts: {
      procedures: procedures.length,
      primaries: procedures.filter((p) => p.what === 'primary').length,
      revisions: procedures.filter((p) => p.what === 'revision').length,
      patients: new Set(procedures.map((p) => p.patient.nhsNumber)).size,
      implanted: allScans.filter((s) => s.action === 'implanted' && s.voidReason === undefined && s.decision === undefined).length,
      wasted: allScans.filter((s) => s.action === 'wasted').length,
      notUsed: allScans.filter((s) => s.decision?.outcome === 'not-used').length,
      explanted: allScans.filter((s) => s.action === 'explanted').length,
      voided: allScans.filter((s) => s.voidReason !== undefined).length,
      typed: allScans.filter((s) => s.entry === 'manual').length,
      recallPatients: recallPatients.size,
      recallExplanted: allScans.filter((s) => isRecalled(s) && s.action === 'explanted').length,
    },
  };
}

