import { RAW_AI_TABLE, type RawAiEntry } from './ai-table.generated.js';

/**
 * The GS1 Application Identifier table, as data: built once from the rows
 * generated from the GS1 Barcode Syntax Dictionary.
 */
export type CharacterSet = 'N' | 'X' | 'Y' | 'Z';

export interface AiComponent {
  readonly cset: CharacterSet;
  readonly min: number;
  readonly max: number;
  readonly optional: boolean;
  readonly linters: readonly string[];
}

export interface AiDefinition {
  readonly ai: string;
  readonly title: string;
  /** Predefined length: never needs an FNC1 separator after it. */
  readonly fixedLength: boolean;
  /** May appear as a GS1 Digital Link data attribute (query parameter). */
  readonly dlAttribute: boolean;
  readonly components: readonly AiComponent[];
  readonly minLength: number;
  readonly maxLength: number;
  /** Each group must be met by one of its alternatives (each a set of AIs or nn-patterns). */
  readonly requires: readonly (readonly (readonly string[])[])[];
  /** AIs or nn-patterns that must not appear with this one. */
  readonly excludes: readonly string[];
  /** GS1 Digital Link primary key: its alternative ordered qualifier sequences. */
  readonly dlKeyQualifiers: readonly (readonly string[])[] | null;
}

function toDefinition(row: RawAiEntry): AiDefinition {
  const [ai, title, fixedLength, dlAttribute, raw, requires, excludes, dlKeyQualifiers] = row;
  const components = raw.map(([cset, min, max, optional, linters]) => ({ cset, min, max, optional, linters }));
  return {
    ai,
    title,
    fixedLength,
    dlAttribute,
    components,
    minLength: components.filter((c) => !c.optional).reduce((n, c) => n + c.min, 0),
    maxLength: components.reduce((n, c) => n + c.max, 0),
    requires,
    excludes,
    dlKeyQualifiers,
  };
}

const TABLE: ReadonlyMap<string, AiDefinition> = new Map(RAW_AI_TABLE.map((row) => [row[0], toDefinition(row)]));

export function aiDefinition(ai: string): AiDefinition | undefined {
  return TABLE.get(ai);
}

export function allAiDefinitions(): Iterable<AiDefinition> {
  return TABLE.values();
}

/**
 * The AI at `index` of `text`: AIs are 2 to 4 digits and prefix-free, so at
 * most one length matches.
 */
export function matchAi(text: string, index: number): AiDefinition | undefined {
  for (let length = 2; length <= 4; length++) {
    if (index + length > text.length) return undefined;
    const def = TABLE.get(text.slice(index, index + length));
    if (def) return def;
  }
  return undefined;
}

/** Whether `ai` matches a dictionary pattern such as "01", "310n" or "31nn" (n = any digit). */
export function aiMatchesPattern(ai: string, pattern: string): boolean {
  if (pattern.length !== ai.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== 'n' && pattern[i] !== ai[i]) return false;
  }
  return true;
}
