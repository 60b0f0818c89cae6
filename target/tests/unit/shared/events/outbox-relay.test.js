'use strict';

const { createDeferred } = require('../../../support/deferred');
const { createLogTap } = require('../../../support/log-tap');
const { createRelayRunner } = require('../../../../shared/events/outbox-relay');

// A fake outbox: `rows` waiting, taken `batchSize` at a time. Each batch waits on `gate` when one
// is set, so a test decides when a run is in progress.
function fakeOutbox({ rows, batchSize = 3, failAt = null }) {
  const state = { rows, batches: 0, gate: null };
  async function relayOnce() {
    state.batches += 1;
    if (state.gate) await state.gate.promise;
    const selected = Math.min(state.rows, batchSize);
    if (failAt !== null && state.batches === failAt) {
      state.rows -= 1;
      return { selected, sent: 1, failure: new Error('nack') };
    }
    state.rows -= selected;
    return { selected, sent: selected };
  }
  const tap = createLogTap();
  const runner = createRelayRunner({ relayOnce, batchSize, countPending: async () => state.rows, logger: tap.logger, service: 'demo' });
  return { state, runner, tap };
}

describe('outbox relay runner', () => {
  test('drains the outbox batch after batch and resolves with how many were sent', async () => {
    const { state, runner } = fakeOutbox({ rows: 7 });
    await expect(runner.flush()).resolves.toBe(7);
    expect(state.batches).toBe(3);
    await expect(runner.pending()).resolves.toBe(0);
  });

  test('callers during a run share it, and rows written meanwhile are sent by that run', async () => {
    const { state, runner } = fakeOutbox({ rows: 2 });
    state.gate = createDeferred();
    const first = runner.flush();
    state.rows += 2; // written after the run's first SELECT
    const second = runner.flush();
    expect(second).toBe(first);
    state.gate.resolve();
    await expect(first).resolves.toBe(4);
    expect(state.rows).toBe(0);
  });

  test('a failed publish rejects the flush with what was sent before it; the next flush starts a new run', async () => {
    const { state, runner } = fakeOutbox({ rows: 7, failAt: 2 });
    await expect(runner.flush()).rejects.toMatchObject({ message: 'nack', sentBefore: 4 });
    await expect(runner.flush()).resolves.toBe(3);
    expect(state.rows).toBe(0);
  });

  test('flushQuietly logs the failure under the service name and resolves with 0', async () => {
    const { runner, tap } = fakeOutbox({ rows: 5, failAt: 1 });
    await expect(runner.flushQuietly()).resolves.toBe(0);
    const warning = await tap.nth(1, (r) => r.event === 'demo.outbox_pending');
    expect(warning.err).toBe('nack');
  });

  test('idle waits for a run in progress, failed or not', async () => {
    const { state, runner } = fakeOutbox({ rows: 1, failAt: 1 });
    state.gate = createDeferred();
    const run = runner.flush().catch(() => 'failed');
    let idle = false;
    const waiting = runner.idle().then(() => {
      idle = true;
    });
    await Promise.resolve();
    expect(idle).toBe(false);
    state.gate.resolve();
    await waiting;
    await expect(run).resolves.toBe('failed');
  });
});
