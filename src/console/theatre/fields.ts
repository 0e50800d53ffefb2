/** What the open-case patient field holds: a number typed, or a wristband scanned. */
import { digitsOnly } from '../shared/fields.js';
import { barcodeFromWedge } from '../shared/wedge.js';

/** The patient: an NHS number typed (10 digits, spaces allowed) or a wristband scanned. */
export function patientOf(text: string, substitute: string): { nhsNumber: string } | { barcode: string } {
  const digits = digitsOnly(text);
  return /^\d{10}$/.test(digits) ? { nhsNumber: digits } : { barcode: barcodeFromWedge(text.trim(), substitute) };
}
