'use strict';

const { EventEmitter } = require('node:events');
const example = require('../../../../shared/contracts/aggregate/events/aggregate.window.closed.v1.json');
const { createWindowHandler, windowOf } = require('../../../../services/store/src/consume');
const { windowEvent } = require('./fixtures');

// The consumer stores what matches the contract and refuses, for good, what never will.

function handlerWith(write) {
  const emitter = new EventEmitter();
  const seen = { written: [], rejected: [], failed: [] };
  for (const name of Object.keys(seen)) emitter.on(name, (e) => seen[name].push(e));
  return { handle: createWindowHandler({ writer: { write }, emitter }), seen };
}

describe('the window contract', () => {
  test('the contract example is a window', () => {
    expect(windowOf(example)).toEqual(example.data);
  });

  test.each([
    ['another event type', (e) => { e.type = 'router.routed'; }],
    ['a revision of 0', (e) => { e.data.revision = 0; }],
    ['a negative count', (e) => { e.data.count = -2; }],
    ['an unknown window kind', (e) => { e.data.windowKind = 'sliding'; }],
    ['a window that ends before it starts', (e) => { e.data.windowEnd = '2024-05-01T09:59:00.000Z'; }],
    ['a rollup id with capitals', (e) => { e.data.rollupId = 'Checkout'; }],
    ['no tenant', (e) => { delete e.tenantId; }],
  ])('%s is refused as STORE_EVENT_INVALID and not retried', (_, spoil) => {
    const e = windowEvent();
    spoil(e);
    let err;
    try {
      windowOf(e);
    } catch (caught) {
      err = caught;
    }
    expect(err).toMatchObject({ code: 'STORE_EVENT_INVALID', retryable: false });
  });
});

describe('the handler', () => {
  test('announces what it wrote, with the status the writer gave', async () => {
    const { handle, seen } = handlerWith(async () => ({ status: 'stale', revision: 1 }));
    const e = windowEvent({ tenantId: 't-x' });
    await handle(e);
    expect(seen.written).toEqual([{ eventId: e.id, tenantId: 't-x', rollupId: 'checkout-amount', seriesKey: 'country=DE', windowStart: e.data.windowStart, revision: 1, status: 'stale' }]);
  });

  test('a failed write is announced and rethrown, so the delivery is retried', async () => {
    const boom = Object.assign(new Error('connection terminated'), { code: '57P01' });
    const { handle, seen } = handlerWith(async () => { throw boom; });
    const e = windowEvent();
    await expect(handle(e)).rejects.toBe(boom);
    expect(seen.failed).toEqual([{ eventId: e.id, err: boom }]);
    expect(seen.written).toEqual([]);
  });
});
