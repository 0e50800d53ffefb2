/**
 * The GS1 modulo-10 check digit (GTIN, GLN, GSRN, SSCC, ...): digits weighted
 * 3, 1, 3, ... from the right of the body; the check digit brings the sum to a
 * multiple of ten.
 */

/**
 * The weighted sum of value[0, end) as the body of a GS1 number, or -(i + 1)
 * when value[i] is the first non-digit.
 */
export function mod10Sum(value: string, end: number): number {
  let sum = 0;
  let weight = 3;
  for (let i = end - 1; i >= 0; i--) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -(i + 1);
    sum += d * weight;
    weight = 4 - weight;
  }
  return sum;
}

/** The check digit for `body` (the number without it); '' when the body has a non-digit. */
export function gs1CheckDigit(body: string): string {
  const sum = mod10Sum(body, body.length);
  return sum < 0 ? '' : String((10 - (sum % 10)) % 10);
}
