import { sql } from 'kysely';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ProblemError } from '../../shared/problem.js';
import { jsonResponse, problemResponse } from '../../shared/schemas.js';

const Status = z.object({ status: z.string() });

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/health',
    {
      config: { access: 'public' },
      schema: { operationId: 'getHealth', tags: ['service'], summary: 'Liveness: the process is up', response: { 200: jsonResponse('The process is up.', Status) } },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/ready',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'getReadiness',
        tags: ['service'],
        summary: 'Readiness: the database answers',
        response: { 200: jsonResponse('The database answers: the service can take requests.', Status), 503: problemResponse('The database is unreachable (DATABASE_UNAVAILABLE).') },
      },
    },
    async () => {
      try {
        await sql`select 1`.execute(app.db);
      } catch (error) {
        throw new ProblemError('DATABASE_UNAVAILABLE', 'The database does not answer.', {}, { cause: error });
      }
      return { status: 'ready' };
    },
  );

  app.get(
    '/openapi.json',
    { config: { access: 'public' }, schema: { hide: true } },
    async () => app.swagger(),
  );
};
