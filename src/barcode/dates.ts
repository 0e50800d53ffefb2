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
  const yyyy = year >= 1000 && year <= 9999 ? String(year) : String(year).padStart(4, '0');
  return `${yyyy}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
}

export interface ResolvedDate {
  readonly date: string;
  /** The day was 00 and was resolved to the last day of the month. */
  readonly dayZero: boolean;
}

/** Year, month and day packed as YYYYMMDD; `text` must be 6 or 8 digits. */
function packedDate(text: string, today: Date): number {
  const two = (at: number) => (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;
  if (text.length === 8) return (two(0) * 100 + two(2)) * 10000 + two(4) * 100 + two(6);
  return slidingCenturyYear(two(0), today) * 10000 + two(2) * 100 + two(4);
}

/**
 * Checks YYMMDD (sliding century) or YYYYMMDD without building anything on
 * success. With `allowDayZero`, DD = 00 is accepted (the last day of the month).
 */
export function checkDate(text: string, today: Date, allowDayZero: boolean): DateFailure | undefined {
  if (text.length !== 6 && text.length !== 8) {
    return { code: 'DATE_NOT_NUMERIC', message: 'a date must be 6 (YYMMDD) or 8 (YYYYMMDD) digits', offset: 0, length: text.length };
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return { code: 'DATE_NOT_NUMERIC', message: 'a date must be digits only', offset: i, length: 1 };
  }
  const packed = packedDate(text, today);
  const year = Math.floor(packed / 10000);
  const month = Math.floor(packed / 100) % 100;
  const day = packed % 100;
  const mAt = text.length - 4;
  if (month < 1 || month > 12) return { code: 'DATE_MONTH', message: `month ${text.slice(mAt, mAt + 2)} does not exist`, offset: mAt, length: 2 };
  if (day === 0 && allowDayZero) return undefined;
  if (day < 1 || day > daysInMonth(year, month)) {
    return { code: 'DATE_DAY', message: `day ${text.slice(mAt + 2, mAt + 4)} does not exist in ${isoDate(year, month, 1).slice(0, 7)}`, offset: mAt + 2, length: 2 };
  }
  return undefined;
}

/** Reads YYMMDD (sliding century) or YYYYMMDD as YYYY-MM-DD; day 00 (if allowed) is the month's last day. */
export function resolveDate(text: string, today: Date, allowDayZero: boolean): ResolvedDate | DateFailure {
  const failure = checkDate(text, today, allowDayZero);
  if (failure) return failure;
  const packed = packedDate(text, today);
  const year = Math.floor(packed / 10000);
  const month = Math.floor(packed / 100) % 100;
  const day = packed % 100;
  return day === 0 ? { date: isoDate(year, month, daysInMonth(year, month)), dayZero: true } : { date: isoDate(year, month, day), dayZero: false };
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
