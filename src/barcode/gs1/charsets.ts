import type { CharacterSet } from './ai-table.js';

/**
 * GS1 character sets as lookup tables: N (digits), X (CSET 82), Y (CSET 39),
 * Z (CSET 64, base64url; '=' only as trailing padding to a multiple of three characters).
 */
const CSET_82 = `!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`;
const CSET_39 = '#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const CSET_64 = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';

function table(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (const c of chars) t[c.charCodeAt(0)] = 1;
  return t;
}

const TABLES: Readonly<Record<CharacterSet, Uint8Array>> = {
  N: table('0123456789'),
  X: table(CSET_82),
  Y: table(CSET_39),
  Z: table(CSET_64),
};

export const CHARSET_NAMES: Readonly<Record<CharacterSet, string>> = {
  N: 'digits',
  X: 'GS1 CSET 82',
  Y: 'GS1 CSET 39',
  Z: 'GS1 CSET 64 (base64url)',
};

/** Index of the first character of `value[from, to)` outside `cset`, or -1. */
export function firstInvalidCharacter(value: string, cset: CharacterSet, from = 0, to = value.length): number {
  const t = TABLES[cset];
  let end = to;
  if (cset === 'Z') {
    // Padding: at most two '=' at the very end, and only when the whole length is then a
    // multiple of three (the GS1 rule, as the GS1 Barcode Syntax Tests apply it).
    while (end > from && to - end < 2 && value.charCodeAt(end - 1) === 61) end--;
    if (end < to && (to - from) % 3 !== 0) return end;
  }
  for (let i = from; i < end; i++) {
    const code = value.charCodeAt(i);
    if (code >= 128 || t[code] === 0) return i;
  }
  return -1;
}
