import type { ErrorCode, ErrorKind, ParseError, ParseWarning } from '../types.js';
import { aiMatchesPattern, matchAi, type AiDefinition } from './ai-table.js';
import { CHARSET_NAMES, firstInvalidCharacter } from './charsets.js';
import { LINTERS, type LintContext } from './linters.js';

/** One AI and its value, with where it came from in the raw input. */
export interface AiElement {
  readonly def: AiDefinition;
  readonly value: string;
  /** Raw position of the AI (or of its opening bracket / path segment). */
  readonly position: number;
  /** Raw length of the AI token. */
  readonly aiLength: number;
  /** Raw position of the value's first character. */
  readonly valueOffset: number;
  /** Raw position of each value character, where the carrier has escapes that shift them. */
  readonly positions?: readonly number[];
}

/** Raw position of character `i` of an element's value. */
export function rawIndex(el: AiElement, i: number): number {
  const map = el.positions;
  if (map === undefined || map.length === 0) return el.valueOffset + i;
  return map[i] ?? (map[map.length - 1] as number) + 1 + i - map.length;
}

export const GS = '\u001d';

export function err(kind: ErrorKind, code: ErrorCode, message: string, position: number, length: number, ai?: string): ParseError {
  return ai === undefined ? { kind, code, message, position, length } : { kind, code, message, position, length, ai };
}

const label = (def: AiDefinition) => `(${def.ai}) ${def.title}`;

/** Checks one value against its AI's components: length, character set, then each linter. */
export function validateElement(el: AiElement, ctx: LintContext): ParseError | undefined {
  const { def, value } = el;
  if (value.length < def.minLength) {
    return err(
      'length',
      value.length === 0 ? 'GS1_VALUE_EMPTY' : 'GS1_VALUE_TOO_SHORT',
      `${label(def)} needs ${def.minLength === def.maxLength ? `exactly ${def.minLength}` : `at least ${def.minLength}`} characters, got ${value.length}`,
      value.length === 0 ? el.position : rawIndex(el, 0),
      value.length === 0 ? el.aiLength : value.length,
      def.ai,
    );
  }
  if (value.length > def.maxLength) {
    return err(
      'length',
      'GS1_VALUE_TOO_LONG',
      `${label(def)} takes at most ${def.maxLength} characters, got ${value.length}`,
      rawIndex(el, def.maxLength),
      value.length - def.maxLength,
      def.ai,
    );
  }
  let offset = 0;
  for (const comp of def.components) {
    if (offset >= value.length && comp.optional) break;
    const take = comp.min === comp.max ? comp.max : Math.min(comp.max, value.length - offset);
    if (offset + take > value.length || take < comp.min) {
      return err('length', 'GS1_VALUE_TOO_SHORT', `${label(def)} is too short: a component needs ${comp.min} characters`, rawIndex(el, offset), value.length - offset, def.ai);
    }
    const bad = firstInvalidCharacter(value, comp.cset, offset, offset + take);
    if (bad >= 0) {
      const ch = value[bad] ?? '';
      return err(
        'charset',
        'GS1_INVALID_CHARACTER',
        `${label(def)}: character ${JSON.stringify(ch)} at offset ${bad} is not allowed (${CHARSET_NAMES[comp.cset]} only)`,
        rawIndex(el, bad),
        1,
        def.ai,
      );
    }
    if (comp.linters.length > 0) {
      const part = offset === 0 && take === value.length ? value : value.slice(offset, offset + take);
      for (const name of comp.linters) {
        const failure = LINTERS[name]?.(part, ctx);
        if (failure) {
          return err(failure.kind, failure.code, `${label(def)}: ${failure.message}`, rawIndex(el, offset + failure.offset), Math.max(failure.length, 1), def.ai);
        }
      }
    }
    offset += take;
  }
  return undefined;
}

/** AIs that identify a product: a secondary label without one is waiting for its product label. */
const PRODUCT_KEYS = new Set(['01', '02', '03', '8006', '8026']);

export interface AssociationOutcome {
  readonly error?: ParseError;
  /** Requirements that only a GTIN label would meet: a secondary label scanned alone. */
  readonly partial: boolean;
}

/**
 * The rules between AIs: the same AI twice with different values, invalid
 * pairs (ex) and mandatory associations (req).
 */
export function validateAssociations(elements: readonly AiElement[]): AssociationOutcome {
  // Elements are few (a label carries a handful of AIs): plain loops beat building maps.
  const has = (pattern: string, except?: string) => elements.some((e) => e.def.ai !== except && aiMatchesPattern(e.def.ai, pattern));
  for (let i = 0; i < elements.length; i++) {
    const el = elements[i] as AiElement;
    for (let k = 0; k < i; k++) {
      const first = elements[k] as AiElement;
      if (first.def === el.def && first.value !== el.value) {
        return {
          partial: false,
          error: err('associations', 'GS1_DUPLICATE_AI', `(${el.def.ai}) appears twice with different values: "${first.value}" and "${el.value}"`, el.position, el.aiLength + el.value.length, el.def.ai),
        };
      }
    }
  }
  for (const el of elements) {
    for (const pattern of el.def.excludes) {
      const other = elements.find((o) => o.def.ai !== el.def.ai && aiMatchesPattern(o.def.ai, pattern));
      if (other) {
        const later = other.position > el.position ? other : el;
        return {
          partial: false,
          error: err('associations', 'GS1_INVALID_AI_PAIR', `(${el.def.ai}) and (${other.def.ai}) must not appear together`, later.position, later.aiLength, later.def.ai),
        };
      }
    }
  }
  let partial = false;
  const hasProduct = elements.some((e) => PRODUCT_KEYS.has(e.def.ai));
  for (const el of elements) {
    for (const group of el.def.requires) {
      if (group.some((alternative) => alternative.every((pattern) => has(pattern)))) continue;
      if (!hasProduct && group.some((alternative) => alternative.length === 1 && alternative[0] === '01')) {
        partial = true;
        continue;
      }
      const options = group.map((alternative) => alternative.map((p) => `(${p})`).join(' with ')).join(' or ');
      return {
        partial: false,
        error: err('associations', 'GS1_REQUIRED_AI_MISSING', `(${el.def.ai}) ${el.def.title} requires ${options}`, el.position, el.aiLength, el.def.ai),
      };
    }
  }
  return { partial };
}

export interface ElementStringParse {
  readonly elements: AiElement[];
  readonly warnings: ParseWarning[];
  readonly error?: ParseError;
}

/**
 * Splits a GS1 element string (FNC1 transmitted as GS) into AI elements.
 * `offset` is where `data` starts in the raw input.
 */
export function splitElementString(data: string, offset: number): ElementStringParse {
  const elements: AiElement[] = [];
  const warnings: ParseWarning[] = [];
  let i = 0;
  while (i < data.length) {
    if (data.charCodeAt(i) === 29) {
      if (i === data.length - 1) {
        warnings.push({ code: 'TRAILING_SEPARATOR', message: 'a GS separator ends the data; it is ignored', position: offset + i, length: 1 });
      } else if (data.charCodeAt(i + 1) === 29) {
        warnings.push({ code: 'TRAILING_SEPARATOR', message: 'two GS separators in a row; the extra one is ignored', position: offset + i + 1, length: 1 });
      }
      i++;
      continue;
    }
    const def = matchAi(data, i);
    if (!def) {
      let digits = 0;
      while (digits < 4 && i + digits < data.length && data.charCodeAt(i + digits) >= 48 && data.charCodeAt(i + digits) <= 57) digits++;
      return {
        elements,
        warnings,
        error:
          digits >= 2
            ? err('unknownAI', 'GS1_UNKNOWN_AI', `no GS1 Application Identifier starts with "${data.slice(i, i + digits)}"`, offset + i, digits)
            : err('syntax', 'GS1_EXPECTED_AI', `expected an Application Identifier (digits) but found ${JSON.stringify(data.slice(i, i + 1))}`, offset + i, 1),
      };
    }
    const valueStart = i + def.ai.length;
    let end: number;
    if (def.fixedLength) {
      const gs = data.indexOf(GS, valueStart);
      end = Math.min(valueStart + def.maxLength, data.length, gs === -1 ? data.length : gs);
    } else {
      const gs = data.indexOf(GS, valueStart);
      end = gs === -1 ? data.length : gs;
    }
    const valueOffset = offset + valueStart;
    elements.push({ def, value: data.slice(valueStart, end), position: offset + i, aiLength: def.ai.length, valueOffset });
    i = end;
  }
  return { elements, warnings };
}
