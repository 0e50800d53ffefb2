/**
 * What of a request URL may be written to a log or echoed in an error: the
 * path without its query string, and without anything shaped like an NHS
 * number (10 digits, perhaps grouped 3-3-4 by spaces or hyphens). NHS numbers
 * never belong in URLs, but a caller who puts one there must not have it kept
 * in the logs. Percent-encoding is undone first, so `943%20476%205919` is
 * caught too. Longer digit runs (GTINs, GLNs, GSRNs) are left alone.
 */
const NHS_NUMBER_SHAPED = /(?<![0-9])[0-9]{3}[\s-]?[0-9]{3}[\s-]?[0-9]{4}(?![0-9])/g;

export const REDACTED_NUMBER = '[redacted]';

export function pathForLog(url: string): string {
  const path = url.split('?')[0] ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    decoded = path;
  }
  return decoded.replace(NHS_NUMBER_SHAPED, REDACTED_NUMBER);
}
