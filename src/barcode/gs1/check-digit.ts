/**
 * The GS1 modulo-10 check digit (GTIN, GLN, GSRN, SSCC, ...): digits weighted
 * 3, 1, 3, ... from the right of the body; the check digit brings the sum to a
 * multiple of ten. `body` is the number without its check digit; returns ''
 * when it contains a non-digit.
 */
export function gs1CheckDigit(body: string): string {
  let sum = 0;
  let weight = 3;
  for (let i = body.length - 1; i >= 0; i--) {
    const d = body.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return '';
    sum += d * weight;
    weight = 4 - weight;
  }
  return String((10 - (sum % 10)) % 10);
}

/** Whether `digits` ends in its correct GS1 check digit. */
export function hasValidGs1CheckDigit(digits: string): boolean {
  return digits.length >= 2 && gs1CheckDigit(digits.slice(0, -1)) === digits[digits.length - 1];
}
