/**
 * CSV written in JavaScript (RFC 4180: a cell with a comma, a quote or a line
 * break is quoted, quotes doubled; LF line ends), for small reports; the recall
 * export is written by Postgres itself with the same guard in SQL
 * (modules/recalls/recall.export.ts).
 *
 * A cell that a spreadsheet could run as a formula gets a leading apostrophe,
 * which spreadsheets do not display (OWASP, CSV injection): every cell that
 * starts with = + - @, a tab or a carriage return. Numbers are written as they
 * are (a negative number is a number, not a formula).
 */
const FORMULA_START = /^[-=+@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const guarded = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

export function csvLine(values: ReadonlyArray<string | number | null | undefined>): string {
  return `${values.map(csvCell).join(',')}\n`;
}
