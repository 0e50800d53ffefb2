import { z } from 'zod';
import { ERROR_KINDS, PARSE_ERROR_CODES, WARNING_CODES } from '../../barcode/index.js';

export const ParseBarcodeBody = z
  .strictObject({
    barcode: z
      .string()
      .max(4096)
      .describe(
        'The scan exactly as the scanner sent it: GS1 element string (FNC1 as ASCII 29, optional AIM symbology identifier such as ]d2), bracketed GS1 form, GS1 Digital Link URI, HIBC or ISBT 128.',
      ),
  })
  .meta({ id: 'ParseBarcodeBody' });

export const ParseErrorSchema = z
  .object({
    kind: z.enum(ERROR_KINDS),
    code: z.enum(PARSE_ERROR_CODES as [string, ...string[]]).describe('Stable UPPER_SNAKE code, e.g. GS1_CHECK_DIGIT.'),
    message: z.string(),
    position: z.number().int().describe('Offset of the offending characters in the raw input (0-based).'),
    length: z.number().int(),
    ai: z.string().optional(),
  })
  .meta({ id: 'BarcodeParseError' });

export const ParseWarningSchema = z
  .object({
    code: z.enum(WARNING_CODES),
    message: z.string(),
    position: z.number().int().optional(),
    length: z.number().int().optional(),
    ai: z.string().optional(),
    reading: z
      .record(z.string(), z.string())
      .optional()
      .describe('POSSIBLE_MISSING_SEPARATOR: the values the label would have with the GS put back at `position`, e.g. {"10": "LOT1", "21": "SER1"}.'),
  })
  .meta({ id: 'BarcodeParseWarning' });

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const ParseResultSchema = z
  .object({
    valid: z.boolean(),
    partial: z.boolean().optional().describe('A secondary label alone: valid, but it needs its product label.'),
    issuingAgency: z.enum(['GS1', 'HIBCC', 'ICCBBA']).optional(),
    carrier: z.enum(['gs1-element', 'gs1-bracketed', 'gs1-digital-link', 'ean-upc', 'hibc', 'isbt128']).optional(),
    symbologyId: z.string().optional(),
    raw: z.string().describe('The input exactly as received.'),
    gtin: z.string().optional(),
    di: z.string().optional(),
    lotNumber: z.string().optional(),
    serialNumber: z.string().optional(),
    expirationDate: isoDate.optional(),
    manufacturingDate: isoDate.optional(),
    quantity: z.number().optional(),
    ais: z.record(z.string(), z.string()).readonly().optional(),
    hibc: z
      .object({
        lic: z.string(),
        pcn: z.string(),
        uom: z.string(),
        check: z.string().optional(),
        link: z.string().optional(),
        segments: z.array(z.enum(['primary', 'secondary'])).readonly(),
      })
      .optional(),
    isbt128: z
      .object({
        productCode: z.string().optional(),
        processorProductId: z.string().optional(),
        donationId: z.string().optional(),
        divisions: z.string().optional(),
        structures: z.array(z.string()).readonly(),
      })
      .optional(),
    hri: z.string().optional(),
    digitalLink: z.string().optional(),
    warnings: z.array(ParseWarningSchema).readonly(),
    error: ParseErrorSchema.optional(),
  })
  .meta({ id: 'BarcodeParseResult' });
