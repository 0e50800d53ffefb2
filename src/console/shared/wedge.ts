/**
 * Keyboard-wedge scanners type what they read into whatever has focus, then
 * press Enter. Everything but the GS1 group separator (GS, ASCII 29) types as
 * itself; GS arrives in one of three ways, depending on how the scanner is set up:
 * - as the control character itself (some wedges and Windows Alt+029),
 * - as the key chord Ctrl+] (the classic keyboard form of ASCII 29),
 * - as a substitute string configured on the scanner (e.g. `~`, `^]`, `<GS>`).
 * The first two are always understood; the third is a setting of the page.
 * The parser also recognises single-character substitutes by itself, and says
 * so in a warning; a configured substitute is exact and never warned about.
 */

/**
 * The GS1 group separator (ASCII 29), src/barcode's GS (test/unit/console/wedge.test.ts holds
 * them equal). Written here, not imported: the barcode module's index brings the whole parser,
 * and a page that reads its scans on the service (the stock page) need not carry it.
 */
export const GS = '\u001d';

/** What is shown in place of GS in text fields and lists (SYMBOL FOR GROUP SEPARATOR). */
export const GS_SYMBOL = '\u241d';

export interface KeyLike {
  readonly key: string;
  readonly code?: string;
  readonly ctrlKey: boolean;
  readonly altKey: boolean;
  readonly metaKey: boolean;
}

/** Ctrl+] (by key or by physical key), or the control character delivered as a key. */
export function isGroupSeparatorKey(e: KeyLike): boolean {
  if (e.key === GS) return true;
  if (!e.ctrlKey || e.altKey || e.metaKey) return false;
  return e.key === ']' || e.code === 'BracketRight';
}

/** A Digital Link URI is a URL: a substitute configured for element strings must never touch it. */
const isUri = (text: string) => /^(?:\][A-Za-z][0-9A-Za-z])?https?:\/\//i.test(text);

/** The barcode a scan typed: the visible GS symbol and the configured substitute back to GS. */
export function barcodeFromWedge(typed: string, substitute: string): string {
  let text = typed.split(GS_SYMBOL).join(GS);
  if (substitute !== '' && !isUri(text)) text = text.split(substitute).join(GS);
  return text;
}

/** A barcode for people: GS made visible, other control characters as their Unicode symbols. */
export function visibleBarcode(barcode: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is made visible here
  return barcode.replace(/[\u0000-\u001f]/g, (c) => String.fromCharCode(0x2400 + c.charCodeAt(0)));
}

/** Substitutes a page may be set to (what scanners are commonly configured to send). */
export const SUBSTITUTE_PRESETS: ReadonlyArray<{ readonly value: string; readonly label: string }> = [
  { value: '', label: 'None: the scanner sends GS (ASCII 29) or Ctrl+]' },
  { value: '~', label: '~ (tilde)' },
  { value: '^]', label: '^] (caret, bracket)' },
  { value: '<GS>', label: '<GS>' },
  { value: '{GS}', label: '{GS}' },
  { value: '|', label: '| (vertical bar)' },
];
