import t from 'tap';
import { finishDocument } from '../../../src/plugins/openapi-document.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonBody = (name: string) => ({ content: { 'application/json': { schema: ref(name) } } });

/** A document as fastify-type-provider-zod leaves it: every registered schema in and out. */
function generated() {
  return {
    openapi: '3.1.0',
    paths: {
      '/things': {
        post: {
          requestBody: jsonBody('CreateThingInput'),
          parameters: [{ in: 'query', name: 'kind', schema: ref('KindInput') }],
          responses: { '201': { description: 'Created', ...jsonBody('Thing') }, '422': { description: 'Bad', ...jsonBody('Problem') } },
        },
      },
    },
    components: {
      schemas: {
        KindInput: { type: 'string', enum: ['a', 'b'] },
        Kind: { type: 'string', enum: ['a', 'b'] },
        PartInput: { type: 'object', properties: { kind: ref('KindInput') } },
        Part: { type: 'object', properties: { kind: ref('Kind') } },
        CreateThingInput: {
          type: 'object',
          properties: { size: { type: 'integer', default: 3, description: 'How big.' }, colour: { type: 'string', default: 'red' }, part: ref('PartInput') },
        },
        CreateThing: { type: 'object', properties: { size: { type: 'integer', default: 3 } }, required: ['size'] },
        ThingInput: { type: 'object', properties: { part: ref('PartInput'), size: { type: 'integer', default: 1 } } },
        Thing: { type: 'object', properties: { part: ref('Part'), size: { type: 'integer', default: 1 } }, required: ['size'] },
        ProblemInput: { type: 'object' },
        Problem: { type: 'object' },
        Unused: { type: 'string' },
        UnusedInput: { type: 'string' },
      },
    },
  };
}

t.test('one schema per shape: unused ones dropped, twins merged, an input alone takes the plain name', async (t) => {
  const doc = finishDocument(generated());
  const schemas = doc.components.schemas as Record<string, unknown>;
  t.same(Object.keys(schemas), ['CreateThing', 'Kind', 'Part', 'Problem', 'Thing'], 'sorted, no Input twins, nothing unused');
  t.same(doc.paths['/things'].post.requestBody, jsonBody('CreateThing'), 'the request body refers to the renamed input schema');
  t.same(doc.paths['/things'].post.parameters[0]?.schema, ref('Kind'), 'merged twins: the input refers to the one schema');
  t.same(schemas.Part, { type: 'object', properties: { kind: ref('Kind') } }, 'twins that differed only by their references merge too');
  t.same(schemas.Thing, generated().components.schemas.Thing, 'a response schema keeps its defaults and its required fields');
});

t.test('the defaults of request-only schemas are said in words, and the fields stay optional', async (t) => {
  const doc = finishDocument(generated());
  const body = doc.components.schemas.CreateThing as unknown as { properties: Record<string, Record<string, unknown>>; required?: string[] };
  t.same(body.properties.size, { type: 'integer', description: 'How big. Default: `3`.' });
  t.same(body.properties.colour, { type: 'string', description: 'Default: `red`.' });
  t.equal(body.required, undefined, 'not required');
});

t.test('a response header declared required is required in the header object, not in its schema', async (t) => {
  const doc = finishDocument({
    paths: { '/x': { post: { responses: { '201': { description: 'Made', headers: { Location: { schema: { type: 'string', required: true }, description: 'Where' } } } } } } },
    components: { schemas: {} },
  });
  t.same(doc.paths['/x'].post.responses['201'].headers.Location, { schema: { type: 'string' }, description: 'Where', required: true });
});
