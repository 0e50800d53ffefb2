import bwipjs from 'bwip-js';
import { parseBarcode } from '../../barcode/index.js';
import type { ParseResult } from '../../barcode/types.js';
import { ProblemError } from '../../shared/problem.js';

/** The symbologies the label endpoint renders, and bwip-js's names for them. */
export const LABEL_SYMBOLOGIES = {
  gs1datamatrix: 'gs1datamatrix',
  'gs1-128': 'gs1-128',
  gs1qrcode: 'gs1qrcode',
  hibcdatamatrix: 'hibcdatamatrix',
} as const;

export type LabelSymbology = keyof typeof LABEL_SYMBOLOGIES;
export type LabelFormat = 'svg' | 'png';

/** AIs that carry a patient's identity or personal details: never to be sent in a URL. */
const PERSONAL_AIS = /^(8018|8019|725\d)$/;

export interface LabelRequest {
  readonly symbology: LabelSymbology;
  readonly data: string;
  readonly format: LabelFormat;
}

export interface RenderedLabel {
  readonly contentType: string;
  readonly body: Buffer | string;
  /** What the label encodes, as the parser reads it. */
  readonly parsed: ParseResult;
}

/** Whether the data holds a patient identifier or personal details (so must not travel in a URL). */
export function carriesPersonalData(parsed: ParseResult): boolean {
  return Object.keys(parsed.ais ?? {}).some((ai) => PERSONAL_AIS.test(ai));
}

/**
 * Validates the data with the project's own parser (so a label can never encode
 * what a scanner would reject), then renders it with bwip-js.
 */
export async function renderLabel(request: LabelRequest, today: Date): Promise<RenderedLabel> {
  const parsed = parseBarcode(request.data, { today });
  const hibc = request.symbology === 'hibcdatamatrix';
  if (!parsed.valid) {
    throw new ProblemError('LABEL_DATA_INVALID', `The label data is not valid: ${parsed.error?.message ?? 'unreadable'}.`, { parse: parsed });
  }
  if (hibc !== (parsed.issuingAgency === 'HIBCC')) {
    throw new ProblemError(
      'LABEL_DATA_INVALID',
      hibc ? 'hibcdatamatrix takes HIBC data (starting with "+").' : `${request.symbology} takes GS1 data (element string, bracketed form or Digital Link).`,
      { parse: parsed },
    );
  }
  // bwip-js takes GS1 data in bracketed form, and HIBC data without the '+' flag and the
  // check character (it adds both itself).
  const text = hibc ? request.data.trim().slice(1, -1) : (parsed.hri ?? '');
  const options = { bcid: LABEL_SYMBOLOGIES[request.symbology], text, scale: 3, paddingwidth: 4, paddingheight: 4, backgroundcolor: 'FFFFFF' };
  try {
    if (request.format === 'svg') return { contentType: 'image/svg+xml', body: bwipjs.toSVG(options), parsed };
    return { contentType: 'image/png', body: await bwipjs.toBuffer(options), parsed };
  } catch (error) {
    throw new ProblemError('LABEL_DATA_INVALID', `The data cannot be drawn as ${request.symbology}: ${String(error).slice(0, 200)}`, {}, { cause: error });
  }
}
