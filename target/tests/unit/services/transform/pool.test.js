'use strict';

const { createUdfPool } = require('../../../../services/transform/src/udf/pool');
const { createFakeClock } = require('../../../../shared/utils/clock');

const pools = [];
afterAll(async () => {
  for (const pool of pools) await pool.close();
});

function newPool(options = {}) {
  const clock = createFakeClock(0);
  const pool = createUdfPool({ size: 1, timeoutMs: 1000, memoryMb: 32, clock, ...options });
  pools.push(pool);
  return { pool, clock };
}

const udf = (name, source, version = 1, tenantId = 't-acme') => ({ tenantId, name, version, source });
const INPUT = { name: 'page.view', ts: '2024-05-01T10:00:00.000Z', properties: { durationMs: 1200, path: '/Pricing' }, dimensions: { country: 'DE' } };

describe('UDF pool', () => {
  test('runs a UDF on a copy of the input with the helpers and returns its patch', async () => {
    const { pool } = newPool();
    const source = 'return { properties: { seconds: helpers.round(input.properties.durationMs / 1000, 1), path: helpers.lower(input.properties.path) } };';
    await expect(pool.run(udf('seconds', source), INPUT)).resolves.toEqual({ properties: { seconds: 1.2, path: '/pricing' } });
    await expect(pool.run(udf('nothing', 'return undefined;'), INPUT)).resolves.toBeNull();
  });

  test('a UDF that throws fails its call and leaves the worker serving the next one', async () => {
    const { pool } = newPool();
    await expect(pool.run(udf('boom', 'throw new RangeError("no such plan");'), INPUT)).rejects.toMatchObject({ code: 'TRANSFORM_UDF_FAILED', message: expect.stringContaining('no such plan') });
    await expect(pool.run(udf('ok', 'return { name: "ok" };'), INPUT)).resolves.toEqual({ name: 'ok' });
    expect(pool.stats()).toMatchObject({ restarts: 0, crashes: 0 });
  });

  test('a runaway UDF is terminated at its time limit and its worker replaced', async () => {
    const { pool, clock } = newPool();
    const runaway = pool.run(udf('spin', 'for (;;) {}'), INPUT);
    const waiting = pool.run(udf('after', 'return { name: "after" };'), INPUT);
    clock.advance(999);
    expect(pool.stats()).toMatchObject({ timeouts: 0, busy: 1, queued: 1 });
    clock.advance(1);
    await expect(runaway).rejects.toMatchObject({ code: 'TRANSFORM_UDF_TIMEOUT' });
    await expect(waiting).resolves.toEqual({ name: 'after' });
    expect(pool.stats()).toMatchObject({ timeouts: 1, restarts: 1 });
  });

  test('a call that waited for a busy worker gets its own full time limit', async () => {
    const { pool, clock } = newPool();
    const first = pool.run(udf('first', 'return { name: "first" };'), INPUT);
    clock.advance(600);
    const second = pool.run(udf('second', 'return { name: "second" };'), INPUT);
    await expect(first).resolves.toEqual({ name: 'first' });
    // the first call's limit (t = 1000) passes while the second (limit t = 1600) is running
    clock.advance(400);
    await expect(second).resolves.toEqual({ name: 'second' });
    clock.advance(2000);
    expect(pool.stats()).toMatchObject({ timeouts: 0, restarts: 0 });
    await expect(pool.run(udf('third', 'return { name: "third" };'), INPUT)).resolves.toEqual({ name: 'third' });
  });

  test('calls queued back to back each keep their own time limit', async () => {
    const { pool, clock } = newPool();
    const names = ['a', 'b', 'c', 'd'];
    const calls = names.map((n, i) => {
      const call = pool.run(udf(n, `return { name: "${n}" };`), INPUT);
      if (i === 0) clock.advance(500);
      return call;
    });
    await expect(calls[0]).resolves.toEqual({ name: 'a' });
    clock.advance(500);
    const results = await Promise.allSettled(calls);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.name : r.reason.code))).toEqual(names);
    expect(pool.stats().timeouts).toBe(0);
  });

  test('an updated UDF runs its new code, and two tenants\' UDFs of one name stay apart', async () => {
    const { pool } = newPool();
    await expect(pool.run(udf('label', 'return { name: "v1-a" };', 1), INPUT)).resolves.toEqual({ name: 'v1-a' });
    await expect(pool.run(udf('label', 'return { name: "v2-b" };', 2), INPUT)).resolves.toEqual({ name: 'v2-b' });
    await expect(pool.run(udf('label', 'return { name: "v1-a" };', 1), INPUT)).resolves.toEqual({ name: 'v1-a' });
    await expect(pool.run(udf('label', 'return { name: "other" };', 2, 't-other'), INPUT)).resolves.toEqual({ name: 'other' });
    await expect(pool.run(udf('label', 'return { name: "v2-b" };', 2), INPUT)).resolves.toEqual({ name: 'v2-b' });
  });

  test('more calls than workers wait in order and all complete', async () => {
    const { pool } = newPool({ size: 2 });
    const calls = Array.from({ length: 12 }, (_, i) => pool.run(udf(`n${i % 3}`, `return { properties: { i: input.properties.i * 2 } };`), { ...INPUT, properties: { i } }));
    const results = await Promise.all(calls);
    expect(results.map((r) => r.properties.i)).toEqual(Array.from({ length: 12 }, (_, i) => i * 2));
  });

  test('a closed pool refuses calls', async () => {
    const { pool } = newPool();
    await pool.close();
    await expect(pool.run(udf('late', 'return null;'), INPUT)).rejects.toMatchObject({ code: 'TRANSFORM_POOL_CLOSED' });
  });
});
