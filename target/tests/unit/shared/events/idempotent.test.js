'use strict';

const { idempotent } = require('../../../../shared/events');

// A store double that remembers ids in memory; the real stores are covered by integration tests.
function memoryStore() {
  const done = new Set();
  return {
    done,
    async run(id, fn) {
      if (done.has(id)) return { duplicate: true };
      const result = await fn({ tx: 'tx-handle' });
      done.add(id);
      return { duplicate: false, result };
    },
  };
}

describe('idempotent', () => {
  test('runs the handler once per event id and passes the store context through', async () => {
    const store = memoryStore();
    const calls = [];
    const duplicates = [];
    const handler = idempotent(async (event, msg, ctx) => calls.push([event.id, ctx.attempt, ctx.tx]), {
      store,
      onDuplicate: (id) => duplicates.push(id),
    });
    await handler({ id: 'a' }, {}, { attempt: 1 });
    await handler({ id: 'a' }, {}, { attempt: 1 });
    await handler({ id: 'b' }, {}, { attempt: 2 });
    expect(calls).toEqual([
      ['a', 1, 'tx-handle'],
      ['b', 2, 'tx-handle'],
    ]);
    expect(duplicates).toEqual(['a']);
  });

  test('falls back to the AMQP messageId and refuses a message with no id as not retryable', async () => {
    const store = memoryStore();
    const handler = idempotent(async () => {}, { store });
    await handler({}, { properties: { messageId: 'm-1' } });
    expect([...store.done]).toEqual(['m-1']);
    await expect(handler({}, { properties: {} })).rejects.toMatchObject({ code: 'DN_EVENTS_ID_MISSING', retryable: false });
  });

  test('needs a store', () => {
    expect(() => idempotent(async () => {}, {})).toThrow(expect.objectContaining({ code: 'DN_EVENTS_OPTIONS_INVALID' }));
  });
});
