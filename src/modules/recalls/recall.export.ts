import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { streamAffected, type AffectedQuery, type AffectedItem } from './recall.repository.js';

const COLUMNS: ReadonlyArray<[string, (i: AffectedItem) => string | null]> = [
  ['nhs_number', (i) => i.nhsNumber],
  ['procedure_date', (i) => i.procedureStartedAt.toISOString()],
  ['organisation', (i) => i.odsCode],
  ['location_gln', (i) => i.locationGln],
  ['location_name', (i) => i.locationName],
  ['clinician', (i) => i.clinician],
  ['side', (i) => i.side],
  ['gtin', (i) => i.gtin],
  ['device_identifier', (i) => i.di],
  ['lot_number', (i) => i.lotNumber],
  ['serial_number', (i) => i.serialNumber],
  ['expiration_date', (i) => i.expirationDate],
  ['entry_type', (i) => i.entryType],
  ['match', (i) => i.match],
  ['explanted_at', (i) => i.explantedAt?.toISOString() ?? null],
  ['contact_status', (i) => i.contactStatus],
  ['item_id', (i) => i.itemId],
  ['procedure_id', (i) => i.procedureId],
];

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One CSV field (RFC 4180). A value that a spreadsheet would run as a formula
 * ("=" or "@" first: no identifier here legitimately starts so) gets a leading
 * apostrophe; "+" and "-" are left alone, as HIBC identifiers and lots start with them.
 */
export function csvField(value: string | null): string {
  if (value === null) return '';
  const safe = value.startsWith('=') || value.startsWith('@') ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export const CSV_HEADER = `${COLUMNS.map(([name]) => name).join(',')}\r\n`;

export function csvLine(item: AffectedItem): string {
  let line = '';
  for (let c = 0; c < COLUMNS.length; c++) line += (c === 0 ? '' : ',') + csvField((COLUMNS[c] as (typeof COLUMNS)[number])[1](item));
  return `${line}\r\n`;
}

/** The affected list as CSV text in chunks of about 64 KiB, read from a cursor: memory stays flat. */
export async function* streamAffectedCsv(db: Kysely<Database>, q: Omit<AffectedQuery, 'limit' | 'after'>): AsyncGenerator<string> {
  let chunk = CSV_HEADER;
  for await (const item of streamAffected(db, q)) {
    chunk += csvLine(item);
    if (chunk.length >= 65_536) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}
