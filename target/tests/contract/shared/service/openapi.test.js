'use strict';

const Ajv = require('ajv');
const { service, utils } = require('../../../../shared');

const { createHttpApp, ERROR_BODY_SCHEMA } = service;
const { defineErrors, createError, systemClock, silentLogger } = utils;

// The OpenAPI document of a kit app is generated from its route schemas; the error body every
// answer uses is the documented Error schema. No database: this is about the HTTP contract.
const CATALOGUE = defineErrors({ DEMO_WIDGET_NOT_FOUND: { statusCode: 404, message: 'widget not found' } });

const widget = { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } }, required: ['id', 'name'], additionalProperties: false };
const ROUTES = {
  getWidget: {
    summary: 'One widget',
    params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]+$' } }, required: ['id'] },
    response: { 200: widget },
  },
  listWidgets: {
    summary: 'Widgets, one page at a time',
    querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 100 } } },
    response: { 200: { type: 'object', properties: { items: { type: 'array', items: widget } }, required: ['items'] } },
  },
  createWidget: {
    summary: 'Create a widget',
    body: { type: 'object', properties: { name: { type: 'string', minLength: 1 } }, required: ['name'], additionalProperties: false },
    response: { 201: widget },
  },
};

let app;
let base;
let doc;

beforeAll(async () => {
  app = createHttpApp({
    service: 'demo',
    prefix: 'DEMO',
    catalogue: CATALOGUE,
    logger: silentLogger,
    clock: systemClock,
    openapi: { description: 'widgets', securitySchemes: { gateway: { type: 'apiKey', in: 'header', name: 'x-internal-token' } } },
  });
  app.register(async function widgets(scope) {
    scope.get('/v1/widgets/:id', { schema: ROUTES.getWidget }, async (req) => {
      if (req.params.id !== '1') throw createError(CATALOGUE.DEMO_WIDGET_NOT_FOUND, `widget ${req.params.id} not found`);
      return { id: 1, name: 'one' };
    });
    scope.get('/v1/widgets', { schema: ROUTES.listWidgets }, async () => ({ items: [] }));
    scope.post('/v1/widgets', { schema: ROUTES.createWidget }, async (req, reply) => reply.code(201).send({ id: 2, name: req.body.name }));
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${app.server.address().port}`;
  doc = await (await fetch(`${base}/openapi.json`)).json();
});

afterAll(async () => {
  if (app) await app.close();
});

describe('generated OpenAPI document', () => {
  test('describes every route from its schema, and nothing else', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual({ title: 'DataNexus demo', version: '1.0.0', description: 'widgets' });
    expect(Object.keys(doc.paths).sort()).toEqual(['/health', '/ready', '/v1/widgets', '/v1/widgets/{id}']);
    expect(doc.components.securitySchemes.gateway).toEqual({ type: 'apiKey', in: 'header', name: 'x-internal-token' });
  });

  test('parameters, bodies and responses are the route schemas themselves', () => {
    const one = doc.paths['/v1/widgets/{id}'].get;
    expect(one.summary).toBe('One widget');
    expect(one.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9]+$' } })]);
    expect(one.responses['200'].content['application/json'].schema).toEqual(widget);
    const list = doc.paths['/v1/widgets'].get;
    expect(list.parameters).toEqual([expect.objectContaining({ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } })]);
    const create = doc.paths['/v1/widgets'].post;
    expect(create.requestBody.content['application/json'].schema).toEqual(ROUTES.createWidget.body);
    expect(create.responses['201'].content['application/json'].schema).toEqual(widget);
  });

  test('every operation documents the one error body', () => {
    expect(doc.components.schemas.Error).toEqual(ERROR_BODY_SCHEMA);
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect([path, method, operation.responses.default.content['application/json'].schema]).toEqual([path, method, { $ref: '#/components/schemas/Error' }]);
      }
    }
  });

  test('every schema in the document compiles as JSON Schema', () => {
    const ajv = new Ajv({ strict: false });
    ajv.addSchema(doc.components.schemas.Error, '#/components/schemas/Error');
    let compiled = 0;
    for (const operations of Object.values(doc.paths)) {
      for (const operation of Object.values(operations)) {
        for (const response of Object.values(operation.responses)) {
          const schema = response.content && response.content['application/json'] && response.content['application/json'].schema;
          if (schema && !schema.$ref) {
            ajv.compile(schema);
            compiled += 1;
          }
        }
      }
    }
    expect(compiled).toBeGreaterThanOrEqual(5);
  });
});

describe('error answers match the documented Error body', () => {
  const validate = new Ajv().compile(ERROR_BODY_SCHEMA);
  const cases = [
    ['a catalogued error', '/v1/widgets/9', {}, 404],
    ['a query that fails validation', '/v1/widgets?limit=0', {}, 400],
    ['a body that fails validation', '/v1/widgets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":""}' }, 400],
    ['a body that is not JSON', '/v1/widgets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }, 400],
    ['an unknown path', '/v1/nothing-here', {}, 404],
    ['an unsupported media type', '/v1/widgets', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b' }, 415],
  ];
  test.each(cases)('%s', async (_name, path, init, status) => {
    const res = await fetch(`${base}${path}`, init);
    expect(res.status).toBe(status);
    const body = await res.json();
    expect([validate(body), validate.errors]).toEqual([true, null]);
  });
});
