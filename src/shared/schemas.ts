import { z } from 'zod';
import { PROBLEMS, type ProblemCode } from './problem.js';

/** Schemas shared by every module, registered with ids so OpenAPI refers to them by $ref. */

export const ValidationIssueSchema = z
  .object({
    in: z.string().describe('Part of the request: body, querystring, params or headers.'),
    pointer: z.string().describe('RFC 6901 JSON pointer to the offending value within that part.'),
    message: z.string(),
    code: z.string().describe('Machine-readable kind of the issue.'),
  })
  .meta({ id: 'ValidationIssue' });

export const ProblemSchema = z
  .looseObject({
    type: z.string().describe('URI reference identifying the problem type: /problems/{code}.'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().describe('The request id; quote it when reporting a problem.'),
    code: z.enum(Object.keys(PROBLEMS) as [ProblemCode, ...ProblemCode[]]).describe('Stable machine-readable code.'),
    errors: z.array(ValidationIssueSchema).optional(),
  })
  .describe('RFC 9457 problem details. Extension members may appear for specific codes.')
  .meta({ id: 'Problem' });

/** A response entry for error statuses, documented as application/problem+json. */
export function problemResponse(description: string) {
  return { description, content: { 'application/problem+json': { schema: ProblemSchema } } };
}

export const OdsCodeSchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9]{3,10}$/, 'must be an NHS ODS code: 3 to 10 letters and digits')
  .describe('NHS Organisation Data Service (ODS) code, e.g. RRK.');

export const IdParamsSchema = z.object({ id: z.uuid() });
