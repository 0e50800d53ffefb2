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

/**
 * For matching without allocating: definitions indexed by AI length (2-4)
 * and numeric value, e.g. BY_LENGTH[2][1] is AI "01", BY_LENGTH[4][3103] is "3103".
 */
const BY_LENGTH: ReadonlyArray<ReadonlyArray<AiDefinition | undefined>> = [2, 3, 4].reduce<Array<Array<AiDefinition | undefined>>>(
  (acc, length) => {
    const slot: Array<AiDefinition | undefined> = new Array<AiDefinition | undefined>(10 ** length).fill(undefined);
    for (const def of TABLE.values()) if (def.ai.length === length) slot[Number(def.ai)] = def;
    acc[length] = slot;
    return acc;
  },
  [],
);

export function aiDefinition(ai: string): AiDefinition | undefined {
  return TABLE.get(ai);
}

/**
 * The AI at `index` of `text`: AIs are 2 to 4 digits and prefix-free, so at
 * most one length matches.
 */
export function matchAi(text: string, index: number): AiDefinition | undefined {
  let n = 0;
  for (let length = 1; length <= 4; length++) {
    const d = text.charCodeAt(index + length - 1) - 48;
    if (!(d >= 0 && d <= 9)) return undefined;
    n = n * 10 + d;
    if (length >= 2) {
      const def = BY_LENGTH[length]?.[n];
      if (def) return def;
    }
  }
  return undefined;
}

/** Whether `ai` matches a dictionary pattern such as "01", "310n" or "31nn" (n = any digit). */
export function aiMatchesPattern(ai: string, pattern: string): boolean {
  if (pattern === ai) return true;
  if (pattern.length !== ai.length || !pattern.includes('n')) return false;
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== 'n' && pattern[i] !== ai[i]) return false;
  }
  return true;
}
