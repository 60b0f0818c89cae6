'use strict';

const { validateEvents } = require('../../../../services/ingestion/src/schema');

const event = (over = {}) => ({ eventId: 'e-1', name: 'page.view', ts: '2024-05-01T10:00:00Z', ...over });
const opts = { maxEvents: 100 };

describe('schema versions', () => {
  test('no header is version 1; fields version 1 does not define are dropped and defaults filled in', () => {
    const { version, events } = validateEvents(event({ dimensions: { country: 'DE' }, extra: 1 }), {}, opts);
    expect(version).toBe(1);
    expect(events).toEqual([{ eventId: 'e-1', name: 'page.view', ts: '2024-05-01T10:00:00Z', source: 'http', properties: {} }]);
  });

  test('version 2 keeps dimensions', () => {
    const { version, events } = validateEvents({ events: [event({ dimensions: { country: 'DE', plan: 'pro' } })] }, { 'x-schema-version': '2' }, opts);
    expect(version).toBe(2);
    expect(events[0].dimensions).toEqual({ country: 'DE', plan: 'pro' });
  });

  test('version 2 refuses dimensions that are not strings', () => {
    expect(() => validateEvents(event({ dimensions: { n: 1 } }), { 'x-schema-version': '2' }, opts)).toThrow(expect.objectContaining({ code: 'INGEST_INVALID_EVENT', statusCode: 422 }));
  });

  test.each(['3', '0', 'two', '2.0', '', '1,2'])('x-schema-version %j is INGEST_UNSUPPORTED_VERSION', (header) => {
    expect(() => validateEvents(event(), { 'x-schema-version': header }, opts)).toThrow(expect.objectContaining({ code: 'INGEST_UNSUPPORTED_VERSION', statusCode: 400 }));
  });
});

describe('body shape', () => {
  test.each([
    [[event()], 'INGEST_INVALID_REQUEST'],
    [{ events: [] }, 'INGEST_INVALID_REQUEST'],
    [{ events: 'x' }, 'INGEST_INVALID_REQUEST'],
    [event({ ts: 'yesterday' }), 'INGEST_INVALID_EVENT'],
    [event({ eventId: 'has space' }), 'INGEST_INVALID_EVENT'],
    [{ name: 'x', ts: '2024-05-01T10:00:00Z' }, 'INGEST_INVALID_EVENT'],
  ])('%j is refused with %s', (body, code) => {
    expect(() => validateEvents(body, {}, opts)).toThrow(expect.objectContaining({ code }));
  });

  test('more events than allowed in one request is INGEST_PAYLOAD_TOO_LARGE', () => {
    const events = Array.from({ length: 3 }, (_, i) => event({ eventId: `e-${i}` }));
    expect(() => validateEvents({ events }, {}, { maxEvents: 2 })).toThrow(expect.objectContaining({ code: 'INGEST_PAYLOAD_TOO_LARGE', statusCode: 413 }));
  });
});
