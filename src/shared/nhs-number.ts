/**
 * NHS number: ten digits, the last a modulus-11 check digit. The first nine
 * are weighted 10 down to 2; check = 11 - (sum mod 11), where 11 becomes 0
 * and 10 means no valid NHS number has these nine digits.
 */
export function nhsNumberError(digits: string): string | undefined {
  if (!/^\d{10}$/.test(digits)) return 'must be 10 digits';
  // Passes the modulus 11 check, but is no one's: a placeholder typed when the number was not known.
  if (digits === '0000000000') return 'is not a valid NHS number (0000000000 is a placeholder)';
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return 'is not a valid NHS number (no check digit is possible)';
  const expected = check === 11 ? 0 : check;
  return Number(digits[9]) === expected ? undefined : 'has a wrong check digit';
}

/** "943 476 5919" and "943-476-5919" are written forms of 9434765919. */
export function normaliseNhsNumber(text: string): string {
  return text.replace(/[\s-]/g, '');
}
