'use strict';

const path = require('node:path');
const { execFileSync } = require('node:child_process');

// Event times must not depend on the zone the server runs in. Each case runs normalizeTimestamp in
// a child process whose TZ is set before Node starts, so the zone is certain whatever jest does.
const MODULE = path.join(__dirname, '..', '..', '..', '..', 'services', 'ingestion', 'src', 'normalize.js');

function normalizeIn(tz, inputs) {
  const script = `
    const { normalizeTimestamp } = require(${JSON.stringify(MODULE)});
    const out = JSON.parse(process.argv[1]).map((ts) => {
      try { return normalizeTimestamp(ts); } catch (err) { return 'error:' + err.code; }
    });
    process.stdout.write(JSON.stringify(out));`;
  const stdout = execFileSync(process.execPath, ['-e', script, JSON.stringify(inputs)], { env: { ...process.env, TZ: tz }, encoding: 'utf8' });
  return JSON.parse(stdout);
}

const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata'];

describe('timestamps without an offset', () => {
  test.each(ZONES)('are UTC in %s, in winter and in summer', (tz) => {
    expect(normalizeIn(tz, ['2024-05-01T10:00:00', '2024-01-15T23:30:00.5', '2024-07-04T00:00:00.123'])).toEqual([
      '2024-05-01T10:00:00.000Z',
      '2024-01-15T23:30:00.500Z',
      '2024-07-04T00:00:00.123Z',
    ]);
  });
});

describe('timestamps with an offset', () => {
  test.each(ZONES)('are converted to UTC in %s', (tz) => {
    expect(normalizeIn(tz, ['2024-05-01T12:00:00+02:00', '2024-01-15T18:30:00-05:00', '2024-05-01T10:00:00Z', '2024-05-01T10:00:00.250z'])).toEqual([
      '2024-05-01T10:00:00.000Z',
      '2024-01-15T23:30:00.000Z',
      '2024-05-01T10:00:00.000Z',
      '2024-05-01T10:00:00.250Z',
    ]);
  });

  test('an impossible date is INGEST_INVALID_EVENT', () => {
    expect(normalizeIn('UTC', ['2024-13-01T10:00:00', '2024-02-30T25:00:00Z'])).toEqual(['error:INGEST_INVALID_EVENT', 'error:INGEST_INVALID_EVENT']);
  });
});
