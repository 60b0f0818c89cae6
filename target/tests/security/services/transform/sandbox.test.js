'use strict';

// UDFs are tenant code: they must reach nothing of the process that runs them. Each attempt below
// tries to get hold of `process` from inside a UDF; it must either fail (the call rejects with a
// UDF error) or find nothing.

const { createUdfPool } = require('../../../../services/transform/src/udf/pool');
const { createFakeClock } = require('../../../../shared/utils/clock');

let pool;
let clock;
beforeAll(() => {
  clock = createFakeClock(0);
  pool = createUdfPool({ size: 1, timeoutMs: 1000, memoryMb: 32, clock });
});
afterAll(() => pool.close());

const INPUT = { name: 'page.view', ts: '2024-05-01T10:00:00.000Z', properties: { durationMs: 1200, nested: { a: [1, 2] } }, dimensions: { country: 'DE' } };

const ESCAPES = [
  ['the input\'s constructor', "input.constructor.constructor('return process')()"],
  ['a nested input object', "input.properties.nested.constructor.constructor('return process')()"],
  ['an input array', "input.properties.nested.a.constructor.constructor('return process')()"],
  ['the input\'s prototype', "Object.getPrototypeOf(input).constructor.constructor('return process')()"],
  ['a helper function', "helpers.lower.constructor('return process')()"],
  ['the helpers object', "helpers.constructor.constructor('return process')()"],
  ['a helper\'s prototype chain', "Reflect.getPrototypeOf(helpers.round).constructor('return process')()"],
  ['the global object', "this.constructor.constructor('return process')()"],
  ['globalThis', "globalThis.constructor.constructor('return process')()"],
  ['a context function', "(() => 0).constructor('return process')()"],
  ['a plain global lookup', 'globalThis.process'],
  ['a legacy getter', "input.__lookupGetter__.constructor('return process')()"],
];

async function attempt(expression) {
  const source = `const p = (${expression});
    const leaked = p !== null && typeof p === 'object' && typeof p.pid === 'number';
    return { properties: { leaked: leaked ? String(p.pid) : 'no' } };`;
  try {
    const result = await pool.run({ tenantId: 't-evil', name: 'escape', version: ESCAPES.findIndex(([, e]) => e === expression) + 1, source }, INPUT);
    return result.properties.leaked;
  } catch (err) {
    return err.code;
  }
}

describe('UDF sandbox', () => {
  test.each(ESCAPES)('an escape through %s finds no process', async (label, expression) => {
    expect(['no', 'TRANSFORM_UDF_FAILED']).toContain(await attempt(expression));
  });

  test('a UDF sees a copy of its input: what it changes does not come back, and each call starts clean', async () => {
    const udf = (name, source) => ({ tenantId: 't-evil', name, version: 1, source });
    const input = structuredClone(INPUT);
    await pool.run(udf('mutate', 'input.properties.durationMs = 0; globalThis.stash = 42; return null;'), input);
    expect(input).toEqual(INPUT);
    await expect(pool.run(udf('peek', 'return { properties: { stash: typeof globalThis.stash } };'), INPUT)).resolves.toEqual({ properties: { stash: 'undefined' } });
  });

  test('a UDF that allocates without bound is killed and the pool keeps serving', async () => {
    const bomb = { tenantId: 't-evil', name: 'bomb', version: 1, source: 'const keep = []; for (;;) keep.push(new Array(1e6).fill(keep.length));' };
    await expect(pool.run(bomb, INPUT)).rejects.toMatchObject({ code: expect.stringMatching(/^TRANSFORM_UDF_(FAILED|TERMINATED)$/) });
    await expect(pool.run({ tenantId: 't-evil', name: 'fine', version: 1, source: 'return { name: "fine" };' }, INPUT)).resolves.toEqual({ name: 'fine' });
  });
});
