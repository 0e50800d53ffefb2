/** Saving what the service answered (a CSV fetched with the key) as a file, without putting the key in a URL. */

/** The file name a Content-Disposition header gives, or the fallback. */
export function filenameOf(contentDisposition: string | null, fallback: string): string {
  return /filename="?([^";]+)"?/i.exec(contentDisposition ?? '')?.[1] ?? fallback;
}

/** Hands a blob to the browser's downloads under this name. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
