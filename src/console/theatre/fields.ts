/** What the open-case fields hold: a number typed, or a label scanned. */
import { barcodeFromWedge } from './wedge.js';

export const digitsOnly = (text: string) => text.replace(/[\s-]/g, '');

/** The patient: an NHS number typed (10 digits, spaces allowed) or a wristband scanned. */
export function patientOf(text: string, substitute: string): { nhsNumber: string } | { barcode: string } {
  const digits = digitsOnly(text);
  return /^\d{10}$/.test(digits) ? { nhsNumber: digits } : { barcode: barcodeFromWedge(text.trim(), substitute) };
}

/** The location: a GLN typed (13 digits) or a wall label scanned. */
export function locationOf(text: string, substitute: string): { gln: string } | { barcode: string } {
  const digits = digitsOnly(text);
  return /^\d{13}$/.test(digits) ? { gln: digits } : { barcode: barcodeFromWedge(text.trim(), substitute) };
}
