import {
  BarcodeFormat,
  BinaryBitmap,
  DecodeHintType,
  HybridBinarizer,
  MultiFormatReader,
  RGBLuminanceSource,
} from '@zxing/library';
import { PNG } from 'pngjs';

export type DecodableFormat = 'datamatrix' | 'code128' | 'qrcode';

const FORMATS: Record<DecodableFormat, BarcodeFormat> = {
  datamatrix: BarcodeFormat.DATA_MATRIX,
  code128: BarcodeFormat.CODE_128,
  qrcode: BarcodeFormat.QR_CODE,
};

/**
 * Decodes a PNG with a real barcode decoder (@zxing/library): what a theatre
 * scanner would read from the printed label. GS1 symbols are decoded with the
 * ASSUME_GS1 hint so FNC1 separators come back as GS (ASCII 29).
 */
export function decodePng(png: Buffer, format: DecodableFormat, gs1: boolean): string {
  const image = PNG.sync.read(png);
  const { width, height, data } = image;
  // Luminance from RGBA, composited over white.
  const luminance = new Uint8ClampedArray(width * height);
  for (let i = 0, p = 0; i < luminance.length; i++, p += 4) {
    const a = (data[p + 3] ?? 255) / 255;
    const mix = (c: number) => c * a + 255 * (1 - a);
    luminance[i] = (mix(data[p] ?? 0) * 0.299 + mix(data[p + 1] ?? 0) * 0.587 + mix(data[p + 2] ?? 0) * 0.114) | 0;
  }
  const hints = new Map<DecodeHintType, unknown>([
    [DecodeHintType.POSSIBLE_FORMATS, [FORMATS[format]]],
    [DecodeHintType.TRY_HARDER, true],
  ]);
  if (gs1) hints.set(DecodeHintType.ASSUME_GS1, true);
  const reader = new MultiFormatReader();
  const bitmap = new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(luminance, width, height)));
  return reader.decode(bitmap, hints).getText();
}
