/**
 * A theatre's scans, as load: what a scanner sends to POST /v1/procedures/{id}/scans.
 * Shared by the ingestion benchmark and the fault-injection run, so both drive
 * the service with the same realistic mix.
 *
 * The mix (per 100 scans): 72 GS1 DataMatrix implants with lot and serial
 * (`]d2`, FNC1 as GS), 8 with lot only, 6 HIBC, 4 GS1-128 from a box, 3 of an
 * expired lot, 2 of a recalled lot, 2 unreadable (a bad check digit, answered
 * 422), and 3 retries of an earlier scan with its Idempotency-Key (answered
 * from the stored response).
 */
import { randomUUID } from 'node:crypto';
import { GS } from '../../src/barcode/index.js';
import { gs1CheckDigit } from '../../src/barcode/gs1/check-digit.js';
import { hibcCheckCharacter } from '../../src/barcode/hibc.js';
import { nhsNumberError } from '../../src/shared/nhs-number.js';

export { GS };

/**
 * A valid NHS number built from nine digits (the modulus 11 check digit
 * computed), skipping those that can have none. The test suite's too.
 */
export function nhsNumber(seed: number): string {
  // Each seed owns 11 consecutive bodies, so skipping a body that can have no
  // check digit never lands on the next seed's number (seeds 502 and 503 once
  // gave the same one); among 11 consecutive bodies one always has a check digit.
  const base = (seed * 11) % 899_999_989;
  for (let n = base; ; n++) {
    const body = String(100_000_000 + n);
    // The service's own modulus 11 rule decides which check digit, if any, makes it valid.
    for (let check = 0; check <= 9; check++) if (nhsNumberError(`${body}${check}`) === undefined) return `${body}${check}`;
  }
}
/** The products the mix scans: GTINs on GS1 UK's example prefix. */
export const MIX_GTINS = Array.from({ length: 40 }, (_, i) => gtin(`950600${String(2000 + i).padStart(7, '0')}`));
/** The lot of MIX_GTINS[0] a recall covers. */
export const RECALLED_LOT = 'RCL001';
/** The lot whose expiry is in the past. */
export const EXPIRED_LOT = 'OLD001';

/** A GTIN-14 from 13 digits, with its check digit. */
export function gtin(first13: string): string {
  return `${first13}${gs1CheckDigit(first13)}`;
}

/** An HIBC concatenated label (primary + secondary) with its mod-43 check character. */
export function hibc(pcn: string, lot: string, expiry: string): string {
  const body = `+A123${pcn}1/$$3${expiry}${lot}`;
  return body + (hibcCheckCharacter(body) ?? '');
}

export interface MixScan {
  readonly kind: 'serial' | 'lot' | 'hibc' | 'gs1-128' | 'expired' | 'recalled' | 'invalid' | 'retry';
  readonly idempotencyKey: string;
  readonly body: { barcode: string; action: 'implanted'; scannerId: string };
  /** The status a correct service answers. */
  readonly expect: 201 | 422;
}

/** Deterministic enough to compare runs; different per scanner. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/**
 * One scanner's stream of scans. Serials are unique per scanner and sequence, so
 * no scan is (wrongly) a double of another; a retry repeats an earlier request exactly.
 */
export class ScannerMix {
  private readonly random: () => number;
  private readonly sent: MixScan[] = [];
  private n = 0;

  constructor(private readonly scannerId: string, seed: number) {
    this.random = rng(seed);
  }

  /** A new procedure: retries repeat only scans of the procedure they were sent to. */
  startProcedure(): void {
    this.sent.length = 0;
  }

  next(): MixScan {
    const r = this.random() * 100;
    const earlier = this.sent.length > 0 ? this.sent[Math.floor(this.random() * this.sent.length)] : undefined;
    if (r < 3 && earlier) return { ...earlier, kind: 'retry' };
    const scan = this.fresh(r);
    this.sent.push(scan);
    if (this.sent.length > 50) this.sent.shift();
    return scan;
  }

  private fresh(r: number): MixScan {
    const n = ++this.n;
    const product = MIX_GTINS[1 + Math.floor(this.random() * (MIX_GTINS.length - 1))] as string;
    const serial = `${this.scannerId}-${n}`;
    const lot = `L${(n % 97).toString().padStart(3, '0')}`;
    const make = (kind: MixScan['kind'], barcode: string, expect: 201 | 422 = 201): MixScan => ({
      kind,
      idempotencyKey: randomUUID(),
      body: { barcode, action: 'implanted', scannerId: this.scannerId },
      expect,
    });
    if (r < 75) return make('serial', `]d201${product}17291231${'10'}${lot}${GS}21${serial}`);
    if (r < 83) return make('lot', `]d201${product}1729123110${lot}`);
    if (r < 89) return make('hibc', hibc(`P${n % 1000}`, lot, '291231'));
    if (r < 93) return make('gs1-128', `]C101${product}17291231${'10'}${lot}${GS}21${serial}`);
    if (r < 96) return make('expired', `]d201${product}1720010110${EXPIRED_LOT}${GS}21${serial}`);
    if (r < 98) return make('recalled', `]d201${MIX_GTINS[0] as string}1729123110${RECALLED_LOT}${GS}21${serial}`);
    // A GTIN with its last digit changed: the check digit catches it.
    const bad = product.slice(0, 13) + String((Number(product[13]) + 1) % 10);
    return make('invalid', `]d201${bad}1729123110${lot}`, 422);
  }
}
