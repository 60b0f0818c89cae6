'use strict';

const {
  EXCHANGES,
  QUEUES,
  setupTopology,
  queueDefinition,
  registerHandler,
  workQueueOptions,
  retryQueueOptions,
} = require('../../../../shared/events');

// A stand-in for an amqplib channel that records every call and answers each RPC only when the
// test says so, so the test can see how many RPCs setupTopology has in flight at once.
function recordingChannel({ autoReply = true } = {}) {
  const calls = [];
  let outstanding = 0;
  let maxOutstanding = 0;
  const waiting = [];
  function rpc(method, args) {
    calls.push({ method, args });
    outstanding++;
    maxOutstanding = Math.max(maxOutstanding, outstanding);
    return new Promise((resolve) => {
      const reply = () => {
        outstanding--;
        resolve({});
      };
      if (autoReply) queueMicrotask(reply);
      else waiting.push(reply);
    });
  }
  return {
    calls,
    maxOutstanding: () => maxOutstanding,
    replyNext: () => waiting.shift()(),
    waitingCount: () => waiting.length,
    assertExchange: (...a) => rpc('assertExchange', a),
    assertQueue: (...a) => rpc('assertQueue', a),
    bindQueue: (...a) => rpc('bindQueue', a),
    prefetch: (...a) => rpc('prefetch', a),
    consume: async (...a) => {
      calls.push({ method: 'consume', args: a });
      return { consumerTag: 'ctag-1' };
    },
  };
}

describe('topology table', () => {
  test('declares the platform exchanges with their types', () => {
    expect(EXCHANGES.events).toEqual({ name: 'dn.events', type: 'topic', options: { durable: true } });
    expect(EXCHANGES.dlx).toEqual({ name: 'dn.dlx', type: 'topic', options: { durable: true } });
    expect(EXCHANGES.tasks).toEqual({ name: 'dn.tasks', type: 'direct', options: { durable: true } });
    expect(EXCHANGES.retry.name).toBe('dn.retry');
    expect(Object.isFrozen(EXCHANGES.events.options)).toBe(true);
  });

  test('work queues dead-letter into dn.dlx under their own name and retry queues hand back to them', () => {
    const def = queueDefinition('router.ingestion');
    expect(workQueueOptions(def)).toEqual({
      durable: true,
      arguments: { 'x-dead-letter-exchange': 'dn.dlx', 'x-dead-letter-routing-key': 'router.ingestion' },
    });
    expect(retryQueueOptions(def).arguments).toEqual({
      'x-message-ttl': def.retryDelayMs,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'router.ingestion',
    });
  });

  test('rejects a queue that is not in the table and an unknown exchange with stable codes', () => {
    expect(() => queueDefinition('nope')).toThrow(expect.objectContaining({ code: 'DN_EVENTS_UNKNOWN_QUEUE' }));
    expect(() => queueDefinition({ name: 'x', exchange: 'dn.other' })).toThrow(expect.objectContaining({ code: 'DN_EVENTS_UNKNOWN_EXCHANGE' }));
    expect(() => queueDefinition({ name: 'x', retryDelayMs: '500' })).toThrow(expect.objectContaining({ code: 'DN_EVENTS_QUEUE_INVALID' }));
  });
});

describe('setupTopology', () => {
  test('has at most one declaration in flight at a time', async () => {
    const ch = recordingChannel({ autoReply: false });
    const done = setupTopology(ch, { queues: ['router.ingestion'] });
    let replies = 0;
    // Answer RPCs one by one; at every point exactly one must be waiting.
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (ch.waitingCount() === 0) break;
      expect(ch.waitingCount()).toBe(1);
      ch.replyNext();
      replies++;
    }
    await done;
    expect(ch.maxOutstanding()).toBe(1);
    expect(replies).toBe(ch.calls.length);
  });

  test('declares each exchange and each queue before the first binding to them', async () => {
    const ch = recordingChannel();
    await setupTopology(ch);
    const declaredExchanges = new Set();
    const declaredQueues = new Set();
    for (const { method, args } of ch.calls) {
      if (method === 'assertExchange') declaredExchanges.add(args[0]);
      if (method === 'assertQueue') declaredQueues.add(args[0]);
      if (method === 'bindQueue') {
        expect(`bind ${args[0]} -> ${args[1]}: queue declared ${declaredQueues.has(args[0])}, exchange declared ${declaredExchanges.has(args[1])}`).toBe(
          `bind ${args[0]} -> ${args[1]}: queue declared true, exchange declared true`,
        );
      }
    }
    for (const name of Object.keys(QUEUES)) {
      expect(declaredQueues.has(name)).toBe(true);
      expect(declaredQueues.has(`${name}.retry`)).toBe(true);
      expect(declaredQueues.has(`${name}.dead`)).toBe(true);
    }
    expect([...declaredExchanges].sort()).toEqual(Object.values(EXCHANGES).map((e) => e.name).sort());
  });

  test('declares exchanges with exactly the table type and options', async () => {
    const ch = recordingChannel();
    await setupTopology(ch, { queues: [] });
    const declared = ch.calls.filter((c) => c.method === 'assertExchange').map((c) => c.args);
    expect(declared).toEqual(Object.values(EXCHANGES).map((e) => [e.name, e.type, { ...e.options }]));
  });
});

describe('registerHandler', () => {
  test('declares nothing the table does not say, then the queue, its bindings and the consumer', async () => {
    const ch = recordingChannel();
    await registerHandler(ch, { queue: 'workers.tasks', handler: async () => {}, prefetch: 4 });
    // Any declaration of an existing exchange with another type or other options is refused by the
    // broker (406), which closes the channel. amqplib's defaults: durable, not autoDelete or internal.
    const effective = (options = {}) => ({
      durable: options.durable ?? true,
      autoDelete: options.autoDelete ?? false,
      internal: options.internal ?? false,
      arguments: options.arguments ?? {},
    });
    const exchangeDeclarations = ch.calls.filter((c) => c.method === 'assertExchange').map((c) => c.args);
    for (const [name, type, options] of exchangeDeclarations) {
      const table = Object.values(EXCHANGES).find((e) => e.name === name);
      expect([name, type, effective(options)]).toEqual([name, table && table.type, effective(table && table.options)]);
    }
    const rest = ch.calls.filter((c) => c.method !== 'assertExchange');
    expect(rest.map((c) => [c.method, ...c.args.slice(0, 3)])).toEqual([
      ['assertQueue', 'workers.tasks', workQueueOptions(queueDefinition('workers.tasks'))],
      ['bindQueue', 'workers.tasks', 'dn.tasks', 'task.requested'],
      ['prefetch', 4],
      ['consume', 'workers.tasks', expect.any(Function), { noAck: false }],
    ]);
  });
});
