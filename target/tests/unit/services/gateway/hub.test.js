'use strict';

const { createHub } = require('../../../../services/gateway/src/ws/hub');

function fakeSocket() {
  return { readyState: 1, sent: [], send(frame) { this.sent.push(JSON.parse(frame)); } };
}

describe('live hub', () => {
  test('delivers to the subscribers of a topic of the same tenant only', () => {
    const hub = createHub();
    const a = fakeSocket();
    const b = fakeSocket();
    hub.add(a, { tenantId: 't1' });
    hub.add(b, { tenantId: 't2' });
    hub.subscribe(a, 'queries');
    hub.subscribe(b, 'queries');
    expect(hub.publish('t1', 'queries', { n: 1 })).toBe(1);
    expect(a.sent).toEqual([{ topic: 'queries', data: { n: 1 } }]);
    expect(b.sent).toEqual([]);
  });

  test('invalid topic names are refused', () => {
    const hub = createHub();
    const a = fakeSocket();
    hub.add(a, { tenantId: 't1' });
    expect(hub.subscribe(a, '../t2')).toBe(false);
    expect(hub.subscribe(a, 'Queries')).toBe(false);
    expect(hub.subscribe(a, 42)).toBe(false);
  });

  test('a socket cannot subscribe before it was added', () => {
    const hub = createHub();
    expect(hub.subscribe(fakeSocket(), 'queries')).toBe(false);
  });

  test('the number of topics per socket is bounded', () => {
    const hub = createHub({ maxTopicsPerSocket: 2 });
    const a = fakeSocket();
    hub.add(a, { tenantId: 't1' });
    expect([hub.subscribe(a, 'a'), hub.subscribe(a, 'b'), hub.subscribe(a, 'c'), hub.subscribe(a, 'a')]).toEqual([true, true, false, true]);
  });

  test('closed sockets are skipped when publishing', () => {
    const hub = createHub();
    const a = fakeSocket();
    hub.add(a, { tenantId: 't1' });
    hub.subscribe(a, 'x');
    a.readyState = 3;
    expect(hub.publish('t1', 'x', {})).toBe(0);
  });

  test('removing a socket removes it from every topic it listened to', () => {
    const hub = createHub();
    const a = fakeSocket();
    const b = fakeSocket();
    hub.add(a, { tenantId: 't1' });
    hub.add(b, { tenantId: 't1' });
    hub.subscribe(a, 'x');
    hub.subscribe(a, 'y');
    hub.subscribe(b, 'x');
    hub.remove(a);
    expect(hub.stats()).toEqual({ connections: 1, topics: 1, subscriptions: 1 });
    hub.unsubscribe(b, 'x');
    expect(hub.stats()).toEqual({ connections: 1, topics: 0, subscriptions: 0 });
  });
});
