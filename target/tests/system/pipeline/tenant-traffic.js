'use strict';

const { createPrng } = require('../../../shared/utils/prng');

// Recorded tenant traffic for the per-minute count tests, replayed from a seed: several tenants,
// each sending metric events of two hosts over a few minutes. Some events sit exactly on a minute
// boundary, some are named by the bare prefix their subscription names (`metrics`, zero words
// after it), neighbours are swapped in the send order and a few are held back by minutes of event
// time (later than the disorder aggregate waits for, inside the rollup's allowed lateness). The
// figures a tenant should read are computed here, from what was generated, never from a service.

const MINUTE = 60_000;
const HOSTS = ['a', 'b'];
const NAMES = ['metrics', 'metrics.cpu', 'metrics.mem'];

/** `minutes` minutes of one tenant's events from `base`, 3 to 8 per minute, in event-time order. */
function tenantEvents(tenant, base, { minutes, seed }) {
  const prng = createPrng(`${seed}|${tenant}`);
  const events = [];
  for (let m = 0; m < minutes; m += 1) {
    const n = prng.int(3, 8);
    for (let i = 0; i < n; i += 1) {
      const offset = prng.bool(0.2) ? 0 : prng.int(1, MINUTE - 1);
      events.push({
        eventId: `${seed}-${tenant}-${m}-${i}`,
        source: 'agent',
        name: prng.pick(NAMES),
        ts: new Date(base + m * MINUTE + offset).toISOString(),
        properties: { value: prng.int(1, 100) },
        dimensions: { host: prng.pick(HOSTS) },
      });
    }
  }
  return events.sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
}

/** Every tenant's events as `{ tenant, event }`, interleaved by event time as they were recorded. */
function recordedTraffic(tenants, base, { minutes, seed }) {
  const all = tenants.flatMap((tenant) => tenantEvents(tenant, base, { minutes, seed }).map((event) => ({ tenant, event })));
  return all.sort((a, b) => Date.parse(a.event.ts) - Date.parse(b.event.ts) || (a.event.eventId < b.event.eventId ? -1 : 1));
}

/**
 * The order the recorded traffic (`{ tenant, event }`) was received in: neighbours swapped, and
 * about one in `lateOneIn` held back until traffic `holdMs` of event time newer has been sent.
 */
function receivedOrder(traffic, { seed, lateOneIn = 12, holdMs = 3 * MINUTE }) {
  const prng = createPrng(`${seed}|order`);
  const tsOf = (x) => Date.parse(x.event.ts);
  const order = [...traffic];
  for (let i = 1; i < order.length; i += 1) if (prng.bool(0.2)) [order[i - 1], order[i]] = [order[i], order[i - 1]];
  const late = order.filter(() => prng.bool(1 / lateOneIn));
  const sendOrder = order.filter((e) => !late.includes(e));
  for (const e of late) {
    const due = tsOf(e) + holdMs;
    const at = sendOrder.findIndex((x) => tsOf(x) > due);
    sendOrder.splice(at === -1 ? sendOrder.length : at, 0, e);
  }
  return { sendOrder, late };
}

/** Per (host, minute): the count and sum a tenant should read, sorted as the store lists them. */
function expectedMinutes(events) {
  const out = new Map();
  for (const e of events) {
    const windowStart = new Date(Math.floor(Date.parse(e.ts) / MINUTE) * MINUTE).toISOString();
    const seriesKey = `host=${e.dimensions.host}`;
    const k = `${seriesKey}|${windowStart}`;
    const r = out.get(k) || { seriesKey, windowStart, count: 0, sum: 0 };
    r.count += 1;
    r.sum += e.properties.value;
    out.set(k, r);
  }
  return [...out.values()].sort((a, b) => (`${a.seriesKey}|${a.windowStart}` < `${b.seriesKey}|${b.windowStart}` ? -1 : 1));
}

/**
 * One event per host of `tenant` at `ts`: as a barrier (past the windows under test) it moves the
 * watermark past them; inside them it is counted like any other event.
 */
function hostTicks(tenant, prefix, ts) {
  return HOSTS.map((host) => ({ eventId: `${prefix}-${tenant}-${host}`, source: 'agent', name: 'metrics.tick', ts: new Date(ts).toISOString(), properties: { value: 0 }, dimensions: { host } }));
}

module.exports = { MINUTE, HOSTS, recordedTraffic, receivedOrder, expectedMinutes, hostTicks };
