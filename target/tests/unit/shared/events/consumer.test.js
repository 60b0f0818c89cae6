'use strict';

const { consume, failedAttempts, ATTEMPTS_HEADER } = require('../../../../shared/events');

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = () => new Promise((r) => setImmediate(r));

// Plays the broker's side of one channel and records what becomes of each delivery and of each
// copy the consumer publishes, whichever amqplib call expressed it:
//   ['ack', tag] | ['requeue', tag] | ['dead-letter', tag]   a delivery settled (amqplib defaults:
//     nack and reject requeue unless told not to; allUpTo settles every earlier unsettled delivery)
//   ['settled twice', tag]      the broker would close the channel (406 PRECONDITION_FAILED)
//   ['copy', queue, attempts]   a published copy and the queue the broker routes it to
function fakeChannel() {
  const log = [];
  const unsettled = new Set();
  let onMessage;
  // Bindings that setupTopology declares for the consumed work queue q: its retry queue is bound
  // to dn.retry under q, its dead queue to dn.dlx under q; the default exchange routes by name.
  let routes = {};

  function settle(msg, allUpTo, outcome) {
    const tag = msg.fields.deliveryTag;
    if (!unsettled.has(tag)) {
      log.push(['settled twice', tag]);
      return;
    }
    const tags = allUpTo ? [...unsettled].filter((t) => t <= tag) : [tag];
    for (const t of tags) {
      unsettled.delete(t);
      log.push([outcome, t]);
    }
  }
  function settleAll(outcome) {
    for (const t of [...unsettled]) {
      unsettled.delete(t);
      log.push([outcome, t]);
    }
  }
  function publish(exchange, routingKey, content, options = {}) {
    const queue = (routes[exchange] && routes[exchange][routingKey]) || 'unroutable';
    log.push(['copy', queue, (options.headers || {})[ATTEMPTS_HEADER]]);
    return true;
  }

  return {
    log,
    async prefetch(n) {
      log.push(['prefetch', n]);
    },
    async consume(queue, cb) {
      onMessage = cb;
      const names = [queue, `${queue}.retry`, `${queue}.dead`];
      routes = {
        'dn.retry': { [queue]: `${queue}.retry` },
        'dn.dlx': { [queue]: `${queue}.dead` },
        '': Object.fromEntries(names.map((name) => [name, name])),
      };
      return { consumerTag: 'ctag' };
    },
    async cancel(tag) {
      log.push(['cancel', tag]);
    },
    ack(msg, allUpTo = false) {
      settle(msg, allUpTo, 'ack');
    },
    ackAll() {
      settleAll('ack');
    },
    nack(msg, allUpTo = false, requeue = true) {
      settle(msg, allUpTo, requeue ? 'requeue' : 'dead-letter');
    },
    nackAll(requeue = true) {
      settleAll(requeue ? 'requeue' : 'dead-letter');
    },
    reject(msg, requeue = true) {
      settle(msg, false, requeue ? 'requeue' : 'dead-letter');
    },
    publish,
    sendToQueue(queue, content, options) {
      return publish('', queue, content, options);
    },
    deliver(msg) {
      unsettled.add(msg.fields.deliveryTag);
      onMessage(msg);
    },
  };
}

let tag = 0;
function message(body, headers = {}) {
  tag++;
  return {
    fields: { deliveryTag: tag, redelivered: false, routingKey: 'ingestion.accepted' },
    properties: { headers, messageId: `m${tag}`, deliveryMode: 2 },
    content: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

const EVENT = { id: 'e1', type: 'ingestion.accepted', version: 1, occurredAt: '2024-05-01T10:00:00.000Z', tenantId: 't1', data: {} };

describe('consume', () => {
  test('acks a delivery only after the handler has resolved', async () => {
    const ch = fakeChannel();
    const gate = deferred();
    const seen = [];
    await consume(ch, 'q', async (event) => {
      seen.push(event.id);
      await gate.promise;
    });
    const msg = message(EVENT);
    ch.deliver(msg);
    await flush();
    expect(seen).toEqual(['e1']);
    expect(ch.log.filter((l) => l[0] !== 'prefetch')).toEqual([]);
    gate.resolve();
    await flush();
    expect(ch.log).toEqual([['ack', msg.fields.deliveryTag]]);
  });

  test('a failure before the last attempt goes to the retry exchange with the attempt counted', async () => {
    const ch = fakeChannel();
    await consume(ch, 'q', async () => {
      throw new Error('db down');
    }, { maxAttempts: 3 });
    const first = message(EVENT);
    ch.deliver(first);
    await flush();
    const second = message(EVENT, { [ATTEMPTS_HEADER]: 1 });
    ch.deliver(second);
    await flush();
    expect(ch.log).toEqual([
      ['copy', 'q.retry', 1],
      ['ack', first.fields.deliveryTag],
      ['copy', 'q.retry', 2],
      ['ack', second.fields.deliveryTag],
    ]);
  });

  test('the last attempt is rejected without requeue so the broker dead-letters it', async () => {
    const ch = fakeChannel();
    const attempts = [];
    await consume(ch, 'q', async (event, msg, ctx) => {
      attempts.push(ctx.attempt);
      throw new Error('poison');
    }, { maxAttempts: 3 });
    const last = message(EVENT, { [ATTEMPTS_HEADER]: 2 });
    ch.deliver(last);
    await flush();
    expect(attempts).toEqual([3]);
    expect(ch.log).toEqual([['dead-letter', last.fields.deliveryTag]]);
  });

  test('an error marked not retryable is dead-lettered on its first attempt', async () => {
    const ch = fakeChannel();
    await consume(ch, 'q', async () => {
      const err = new Error('unknown task type');
      err.retryable = false;
      throw err;
    });
    const msg = message(EVENT);
    ch.deliver(msg);
    await flush();
    expect(ch.log).toEqual([['dead-letter', msg.fields.deliveryTag]]);
  });

  test('dead-lettering one delivery leaves the deliveries still being handled alone', async () => {
    const ch = fakeChannel();
    const gate = deferred();
    await consume(ch, 'q', async (event) => {
      if (event.id === 'slow') return gate.promise;
      const err = new Error('unknown task type');
      err.retryable = false;
      throw err;
    });
    const slow = message({ ...EVENT, id: 'slow' });
    const poison = message(EVENT);
    ch.deliver(slow);
    ch.deliver(poison);
    await flush();
    expect(ch.log).toEqual([['dead-letter', poison.fields.deliveryTag]]);
    gate.resolve();
    await flush();
    expect(ch.log).toEqual([
      ['dead-letter', poison.fields.deliveryTag],
      ['ack', slow.fields.deliveryTag],
    ]);
  });

  test('a body that is not a JSON object is dead-lettered without calling the handler', async () => {
    const ch = fakeChannel();
    const handler = jest.fn();
    await consume(ch, 'q', handler);
    const a = message('not json');
    const b = message('[1,2]');
    ch.deliver(a);
    ch.deliver(b);
    await flush();
    expect(handler).not.toHaveBeenCalled();
    expect(ch.log).toEqual([
      ['dead-letter', a.fields.deliveryTag],
      ['dead-letter', b.fields.deliveryTag],
    ]);
  });

  test('cancel stops the consumer and waits for handlers still running', async () => {
    const ch = fakeChannel();
    const gate = deferred();
    const sub = await consume(ch, 'q', () => gate.promise);
    ch.deliver(message(EVENT));
    await flush();
    expect(sub.inFlight()).toBe(1);
    let cancelled = false;
    const cancelling = sub.cancel().then(() => {
      cancelled = true;
    });
    await flush();
    expect(cancelled).toBe(false);
    gate.resolve();
    await cancelling;
    expect(sub.inFlight()).toBe(0);
    expect(ch.log.map((l) => l[0])).toEqual(['cancel', 'ack']);
  });

  test('rejects an invalid maxAttempts with a stable code', async () => {
    await expect(consume(fakeChannel(), 'q', async () => {}, { maxAttempts: '3' })).rejects.toMatchObject({ code: 'DN_EVENTS_OPTIONS_INVALID' });
  });
});

describe('failedAttempts', () => {
  test('reads the attempts header, falling back to x-death records of the retry queue', () => {
    expect(failedAttempts(message(EVENT), 'q')).toBe(0);
    expect(failedAttempts(message(EVENT, { [ATTEMPTS_HEADER]: 2 }), 'q')).toBe(2);
    const xDeath = [
      { queue: 'q.retry', reason: 'expired', count: 2, exchange: '' },
      { queue: 'other.retry', reason: 'expired', count: 5, exchange: '' },
    ];
    expect(failedAttempts(message(EVENT, { 'x-death': xDeath }), 'q')).toBe(2);
  });
});
