/**
 * Money as exact integers of minor units (pence), never floating point: prices are written as decimal
 * strings ("123.45"), read into minor units by these pure functions, summed as integers (the database
 * sums them as bigint) and written back as decimal strings. No I/O.
 */

/**
 * The ISO 4217 currencies a price list may be in, with their minor unit (the number of decimal places
 * of the currency, ISO 4217's "E"). A closed list: a currency with another minor unit (JPY 0, BHD 3)
 * is one line here once needed. Stored prices are minor units of their currency, so an entry's minor
 * unit never changes.
 */
export const CURRENCIES = ['GBP', 'EUR', 'USD'] as const;
export type Currency = (typeof CURRENCIES)[number];
export const CURRENCY_MINOR_UNITS: Readonly<Record<Currency, number>> = { GBP: 2, EUR: 2, USD: 2 };
export const DEFAULT_CURRENCY: Currency = 'GBP';

/** The largest unit price accepted, in major units: a unit price above it is a typing error (and sums stay exact). */
export const MAX_UNIT_PRICE_MAJOR = 10_000_000;

export type MinorUnits = { readonly ok: true; readonly minor: number } | { readonly ok: false; readonly message: string };

const DECIMAL = /^(\d+)(?:\.(\d*))?$/;

/**
 * A decimal string of a unit price in minor units of its currency: "123.45" GBP is 12345, "150" is 15000,
 * "0.5" is 50. Refused: signs, thousands separators, exponents, spaces, more decimal places than the
 * currency has ("1.234" GBP), zero, and more than MAX_UNIT_PRICE_MAJOR. Never throws.
 */
export function toMinorUnits(text: string, currency: Currency): MinorUnits {
  const places = CURRENCY_MINOR_UNITS[currency];
  const match = DECIMAL.exec(text);
  if (match === null) return { ok: false, message: `"${text.slice(0, 40)}" is not a decimal amount (digits, and a point before the ${places === 0 ? 'end' : 'pence'}: 123.45)` };
  const whole = match[1] ?? '';
  const fraction = match[2] ?? '';
  if (match[2] !== undefined && fraction.length === 0) return { ok: false, message: `"${text}" ends with a point: write 123.45 or 123` };
  if (fraction.length > places) return { ok: false, message: `"${text}" has ${fraction.length} decimal places; ${currency} has ${places}` };
  const wholeValue = whole.replace(/^0+(?=\d)/, '');
  if (wholeValue.length > String(MAX_UNIT_PRICE_MAJOR).length || Number(wholeValue) > MAX_UNIT_PRICE_MAJOR) {
    return { ok: false, message: `"${text}" is more than ${MAX_UNIT_PRICE_MAJOR} ${currency} for one unit` };
  }
  const minor = Number(wholeValue) * 10 ** places + Number(fraction.padEnd(places, '0') || '0');
  if (minor === 0) return { ok: false, message: 'a unit price must be more than zero' };
  if (minor > MAX_UNIT_PRICE_MAJOR * 10 ** places) return { ok: false, message: `"${text}" is more than ${MAX_UNIT_PRICE_MAJOR} ${currency} for one unit` };
  return { ok: true, minor };
}

/**
 * Minor units written as a decimal string of their currency: 12345 GBP is "123.45", 15000 is "150.00", 7 is
 * "0.07", -250 is "-2.50". Exact for any safe integer (or bigint); never goes through floating point.
 */
export function formatMinorUnits(minor: number | bigint, currency: Currency): string {
  const places = CURRENCY_MINOR_UNITS[currency];
  const value = BigInt(minor);
  const sign = value < 0n ? '-' : '';
  const digits = (value < 0n ? -value : value).toString().padStart(places + 1, '0');
  return places === 0 ? `${sign}${digits}` : `${sign}${digits.slice(0, -places)}.${digits.slice(-places)}`;
}

/** The median of whole minor units, exact: the middle one, or the mean of the two middle ones rounded half up (to the minor unit). */
export function medianMinor(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[mid] as number;
  const sum = (sorted[mid - 1] as number) + (sorted[mid] as number);
  return Math.floor(sum / 2) + (sum % 2 === 0 ? 0 : 1);
}

/** The mean of whole minor units, rounded half up to the minor unit (exact: integer arithmetic on the sum). */
export function meanMinor(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sum = values.reduce((n, v) => n + v, 0);
  const n = values.length;
  const q = Math.floor(sum / n);
  return 2 * (sum - q * n) >= n ? q + 1 : q;
}
