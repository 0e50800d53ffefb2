/**
 * An item typed in by hand because no label could be read. The values are the
 * ones a GS1 label would carry, so they are held to the same rules as when
 * scanned: the GTIN to AI (01) (any of GTIN-8/12/13/14, with its check digit),
 * the lot to AI (10) and the serial to AI (21) (1 to 20 characters of GS1
 * character set 82), all from the generated AI table. The expiry is a whole
 * calendar date (a date picker's YYYY-MM-DD), not a label's YYMMDD.
 *
 * Pure, and shared by the service's request schema and the theatre page, so a
 * typed item is refused on the device for exactly the reasons the service
 * would refuse it.
 */
import { daysInMonth } from './dates.js';
import { aiDefinition } from './gs1/ai-table.js';
import { validateElement } from './gs1/elements.js';

export interface ManualEntryInput {
  readonly gtin: string;
  readonly lotNumber?: string | undefined;
  readonly serialNumber?: string | undefined;
  readonly expirationDate?: string | undefined;
}

export type ManualEntryField = keyof ManualEntryInput;

export interface ManualEntryIssue {
  readonly field: ManualEntryField;
  /** A stable code: the parser's own (GS1_CHECK_DIGIT, GS1_INVALID_CHARACTER, ...) or GTIN_LENGTH, DATE_INVALID. */
  readonly code: string;
  readonly message: string;
}

const FIELD_AI: ReadonlyArray<readonly [ManualEntryField, string, string]> = [
  ['lotNumber', '10', 'lot'],
  ['serialNumber', '21', 'serial number'],
];

/** A real calendar date written YYYY-MM-DD. */
function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** Strips the AI's "(10) Batch or lot number: " style prefix: the form names the field itself. */
function withoutLabel(message: string): string {
  return message.replace(/^\(\d+\) [^:]*:\s*/, '');
}

/**
 * Every way the entry breaks the GS1 rules, one issue per field at most, in
 * the order of the form. An empty list means the service will take it.
 */
export function checkManualEntry(entry: ManualEntryInput, today: Date = new Date()): ManualEntryIssue[] {
  const issues: ManualEntryIssue[] = [];
  const gtin = entry.gtin;
  if (!/^(\d{8}|\d{12}|\d{13}|\d{14})$/.test(gtin)) {
    issues.push({ field: 'gtin', code: 'GTIN_LENGTH', message: 'A GTIN is 8, 12, 13 or 14 digits.' });
  } else {
    const def = aiDefinition('01');
    const error = def && validateElement({ def, value: gtin.padStart(14, '0'), position: 0, aiLength: 0, valueOffset: 0 }, { today });
    if (error) issues.push({ field: 'gtin', code: error.code, message: `The GTIN's ${withoutLabel(error.message)}.` });
  }
  for (const [field, ai, name] of FIELD_AI) {
    const value = entry[field];
    if (value === undefined) continue;
    const def = aiDefinition(ai);
    const error = def && validateElement({ def, value, position: 0, aiLength: 0, valueOffset: 0 }, { today });
    if (error) issues.push({ field, code: error.code, message: `The ${name} ${describe(error.code, value, error.position)}` });
  }
  if (entry.expirationDate !== undefined && !isCalendarDate(entry.expirationDate)) {
    issues.push({ field: 'expirationDate', code: 'DATE_INVALID', message: 'The expiry must be a calendar date, YYYY-MM-DD.' });
  }
  return issues;
}

function describe(code: string, value: string, position: number): string {
  switch (code) {
    case 'GS1_VALUE_EMPTY':
      return 'is empty: leave it out if the label has none.';
    case 'GS1_VALUE_TOO_LONG':
      return `has ${value.length} characters; GS1 allows at most 20.`;
    case 'GS1_INVALID_CHARACTER': {
      const ch = value[position] ?? '';
      return `cannot contain ${ch === ' ' ? 'a space' : JSON.stringify(ch)}: GS1 allows only letters A–Z and a–z, digits and ! " % & ' ( ) * + , - . / : ; < = > ? _`;
    }
    default:
      return 'breaks the GS1 rules for it.';
  }
}
