'use strict';

const { createPublisher } = require('../../../../shared/events');
const { createFakeClock } = require('../../../../shared/utils/clock');

// A confirm channel whose confirms the test hands out: `confirm(i, err)` answers publish #i.
function fakeConfirmChannel() {
  const published = [];
  return {
    published,
    closed: false,
    publish(exchange, routingKey, content, options, cb) {
      if (this.closed) throw new Error('Channel closed');
      published.push({ exchange, routingKey, content, options, cb });
      return true;
    },
    confirm(i, err) {
      published[i].cb(err);
    },
  };
}

function publisherWith(channel) {
  let n = 0;
  return createPublisher({
    rabbit: { confirmChannel: async () => channel },
    clock: createFakeClock(Date.parse('2024-05-01T10:00:00.000Z')),
    idFactory: () => `evt-${++n}`,
  });
}

const flush = () => new Promise((r) => setImmediate(r));

describe('createPublisher', () => {
  test('resolves only after the broker confirm, with a persistent JSON envelope', async () => {
    const ch = fakeConfirmChannel();
    const pub = publisherWith(ch);
    let settled = false;
    const p = pub.publish('ingestion.accepted', {
      tenantId: 't1',
      data: { batchId: 'b1', source: 'http', stream: 's', recordCount: 1, receivedAt: '2024-05-01T09:59:59.000Z' },
    }).then((v) => {
      settled = true;
      return v;
    });
    await flush();
    expect(ch.published).toHaveLength(1);
    expect(settled).toBe(false);
    ch.confirm(0, null);
    const envelope = await p;
    const sent = ch.published[0];
    expect(sent.exchange).toBe('dn.events');
    expect(sent.routingKey).toBe('ingestion.accepted');
    expect(sent.options).toMatchObject({ persistent: true, contentType: 'application/json', messageId: 'evt-1', type: 'ingestion.accepted' });
    expect(JSON.parse(sent.content.toString())).toEqual(envelope);
    expect(envelope).toMatchObject({ id: 'evt-1', type: 'ingestion.accepted', version: 1, occurredAt: '2024-05-01T10:00:00.000Z', tenantId: 't1' });
  });

  test('a broker nack rejects with DN_AMQP_NACK and a closed channel with DN_EVENTS_PUBLISH_CLOSED', async () => {
    const ch = fakeConfirmChannel();
    const pub = publisherWith(ch);
    const payload = { tenantId: 't1', data: {} };
    const nacked = pub.publish('usage.recorded', payload);
    const lost = pub.publish('usage.recorded', payload);
    await flush();
    ch.confirm(0, new Error('message nacked'));
    ch.confirm(1, new Error('channel closed'));
    await expect(nacked).rejects.toMatchObject({ code: 'DN_AMQP_NACK' });
    await expect(lost).rejects.toMatchObject({ code: 'DN_EVENTS_PUBLISH_CLOSED' });
    ch.closed = true;
    await expect(pub.publish('usage.recorded', payload)).rejects.toMatchObject({ code: 'DN_EVENTS_PUBLISH_CLOSED' });
  });

  test('refuses an envelope that breaks the contract before anything is sent', async () => {
    const ch = fakeConfirmChannel();
    const pub = publisherWith(ch);
    await expect(pub.publish('usage.recorded', { data: {} })).rejects.toMatchObject({ code: 'DN_EVENTS_ENVELOPE_INVALID' });
    await expect(
      pub.publish('ingestion.accepted', { tenantId: 't1', data: { batchId: 'b1' } }),
    ).rejects.toMatchObject({ code: 'DN_EVENTS_ENVELOPE_INVALID' });
    expect(ch.published).toHaveLength(0);
  });
});
