/**
 * Calendar helpers shared by the GS1, HIBC and ISBT 128 readers. Pure; no
 * time zone: dates are calendar dates, computed in UTC.
 */

/** A failure of a date component, relative to the start of the date text. */
export interface DateFailure {
  readonly code: 'DATE_NOT_NUMERIC' | 'DATE_MONTH' | 'DATE_DAY' | 'DATE_DAY_OF_YEAR' | 'DATE_HOUR' | 'DATE_MINUTE' | 'DATE_SECOND';
  readonly message: string;
  readonly offset: number;
  readonly length: number;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * GS1 General Specifications 7.12: a two-digit year lies within -49/+50 years of today.
 * YY - (current YY) >= 51 -> previous century; <= -50 -> next century.
 */
export function slidingCenturyYear(yy: number, today: Date): number {
  const current = today.getUTCFullYear();
  const century = Math.floor(current / 100) * 100;
  const diff = yy - (current % 100);
  if (diff >= 51) return century - 100 + yy;
  if (diff <= -50) return century + 100 + yy;
  return century + yy;
}

export function isoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

const DIGITS = /^\d+$/;

export interface ResolvedDate {
  readonly date: string;
  /** The day was 00 and was resolved to the last day of the month. */
  readonly dayZero: boolean;
}

/**
 * Reads YYMMDD (sliding century) or YYYYMMDD. With `allowDayZero`, DD = 00
 * means the last day of the month (GS1 expiry and similar dates).
 */
export function resolveDate(text: string, today: Date, allowDayZero: boolean): ResolvedDate | DateFailure {
  const long = text.length === 8;
  if ((text.length !== 6 && !long) || !DIGITS.test(text)) {
    const bad = [...text].findIndex((c) => c < '0' || c > '9');
    return { code: 'DATE_NOT_NUMERIC', message: 'a date must be digits only', offset: Math.max(bad, 0), length: bad < 0 ? text.length : 1 };
  }
  const y = long ? Number(text.slice(0, 4)) : slidingCenturyYear(Number(text.slice(0, 2)), today);
  const mAt = long ? 4 : 2;
  const month = Number(text.slice(mAt, mAt + 2));
  const day = Number(text.slice(mAt + 2, mAt + 4));
  if (month < 1 || month > 12) return { code: 'DATE_MONTH', message: `month ${text.slice(mAt, mAt + 2)} does not exist`, offset: mAt, length: 2 };
  if (day === 0 && allowDayZero) return { date: isoDate(y, month, daysInMonth(y, month)), dayZero: true };
  if (day < 1 || day > daysInMonth(y, month)) {
    return { code: 'DATE_DAY', message: `day ${text.slice(mAt + 2, mAt + 4)} does not exist in ${isoDate(y, month, 1).slice(0, 7)}`, offset: mAt + 2, length: 2 };
  }
  return { date: isoDate(y, month, day), dayZero: false };
}

/** Year and day of the year (1-366) to a calendar date, or undefined when the day does not exist. */
export function ordinalDate(year: number, dayOfYear: number): string | undefined {
  if (dayOfYear < 1 || dayOfYear > (isLeapYear(year) ? 366 : 365)) return undefined;
  const d = new Date(Date.UTC(year, 0, dayOfYear));
  return isoDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

export function isDateFailure(value: ResolvedDate | DateFailure): value is DateFailure {
  return 'code' in value;
}
