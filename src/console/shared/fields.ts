/** What a scan-or-type field holds: a number typed, or a label scanned. */
import { barcodeFromWedge } from './wedge.js';

export const digitsOnly = (text: string) => text.replace(/[\s-]/g, '');

/** A location: a GLN typed (13 digits) or its wall or shelf label scanned (GS1 AI 414). */
export function locationOf(text: string, substitute: string): { gln: string } | { barcode: string } {
  const digits = digitsOnly(text);
  return /^\d{13}$/.test(digits) ? { gln: digits } : { barcode: barcodeFromWedge(text.trim(), substitute) };
}
