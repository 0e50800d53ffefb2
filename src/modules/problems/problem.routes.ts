import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isProblemCode, PROBLEMS, ProblemError, problemType, type ProblemCode } from '../../shared/problem.js';
import { jsonResponse } from '../../shared/schemas.js';

const ProblemTypeSchema = z
  .object({ code: z.string(), type: z.string(), status: z.number().int(), title: z.string(), description: z.string() })
  .meta({ id: 'ProblemType' });

const describe = (code: ProblemCode) => ({ code, type: problemType(code), ...PROBLEMS[code] });

/** Dereferenceable problem types: what each stable error code means. */
export const problemRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/problems',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'listProblemTypes',
        tags: ['service'],
        summary: 'Every error code the API can answer with',
        response: { 200: jsonResponse('Every problem type, with its code, status and meaning.', z.object({ items: z.array(ProblemTypeSchema) })) },
      },
    },
    async () => ({ items: (Object.keys(PROBLEMS) as ProblemCode[]).map(describe) }),
  );

  app.get(
    '/problems/:code',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'getProblemType',
        tags: ['service'],
        summary: 'What one error code means',
        params: z.object({ code: z.string() }),
        response: { 200: jsonResponse('The problem type.', ProblemTypeSchema) },
      },
    },
    async (req) => {
      if (!isProblemCode(req.params.code)) throw new ProblemError('NOT_FOUND', `No problem type ${req.params.code}.`);
      return describe(req.params.code);
    },
  );
};
