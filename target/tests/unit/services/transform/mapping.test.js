'use strict';

const { applyMapping, applyPatch } = require('../../../../services/transform/src/mapping');
const { effectiveConfig, DEFAULT_MAPPING } = require('../../../../services/transform/src/mappingConfig');
const { deepMerge } = require('../../../../services/transform/src/merge');
const { T0, HOUR, DAY, record } = require('../../../integration/services/transform/helpers');

const NOW = T0 + 5 * 60_000;

describe('applyMapping', () => {
  test('the mapped record keeps the event time, however old or new the event is', () => {
    for (const offset of [HOUR, 30 * DAY, 90_000, -5 * 60_000]) {
      const ts = new Date(NOW - offset).toISOString();
      const mapped = applyMapping(record(1, { ts }), effectiveConfig({ rename: { 'properties.path': 'dimensions.page' } }), { now: NOW });
      expect(mapped.ts).toBe(ts);
    }
  });

  test('an event mapped with the defaults only keeps every field it had', () => {
    const data = record(2, { ts: new Date(NOW - 2 * DAY).toISOString() });
    expect(applyMapping(data, effectiveConfig(undefined), { now: NOW })).toEqual(data);
  });

  test('rename moves a value between sections and copy duplicates it', () => {
    const config = effectiveConfig({ rename: { 'properties.path': 'dimensions.page' }, copy: { 'dimensions.country': 'properties.country' } });
    const mapped = applyMapping(record(), config, { now: NOW });
    expect(mapped.properties).toEqual({ durationMs: 1200, country: 'DE' });
    expect(mapped.dimensions).toEqual({ country: 'DE', page: '/pricing' });
  });

  test('defaults fill only the fields the event does not carry', () => {
    const config = effectiveConfig({ defaults: { 'properties.currency': 'EUR', 'properties.durationMs': 0, 'dimensions.plan': 'free' } });
    const mapped = applyMapping(record(), config, { now: NOW });
    expect(mapped.properties).toEqual({ durationMs: 1200, path: '/pricing', currency: 'EUR' });
    expect(mapped.dimensions).toEqual({ country: 'DE', plan: 'free' });
  });

  test('name case and null dropping follow the options', () => {
    const data = record(3, { name: 'Page.View', properties: { a: null, b: 1 } });
    expect(applyMapping(data, effectiveConfig({ options: { nameCase: 'lower', dropNulls: true } }), { now: NOW })).toMatchObject({ name: 'page.view', properties: { b: 1 } });
    expect(applyMapping(data, effectiveConfig({ options: { nameCase: 'upper' } }), { now: NOW })).toMatchObject({ name: 'PAGE.VIEW', properties: { a: null, b: 1 } });
  });

  test('mapping never changes the event it was given', () => {
    const data = record(4);
    const copy = structuredClone(data);
    applyMapping(data, effectiveConfig({ rename: { 'properties.path': 'dimensions.page' }, defaults: { 'properties.x': 1 } }), { now: NOW });
    expect(data).toEqual(copy);
  });
});

describe('tenant configs and patches', () => {
  test('a tenant config is merged onto the defaults without changing them', () => {
    const config = effectiveConfig({ options: { dropNulls: true }, enrich: ['planTier'] });
    expect(config).toEqual({ rename: {}, copy: {}, defaults: {}, udf: null, enrich: ['planTier'], options: { nameCase: 'keep', dropNulls: true } });
    config.rename.x = 'y';
    config.enrich.push('region');
    expect(DEFAULT_MAPPING.rename).toEqual({});
    expect(effectiveConfig({}).enrich).toEqual([]);
  });

  test('deepMerge merges objects key by key and replaces arrays and scalars', () => {
    const target = { a: { b: 1, c: [1, 2] }, d: 1 };
    expect(deepMerge(target, { a: { c: [3], e: { f: 1 } }, d: null })).toEqual({ a: { b: 1, c: [3], e: { f: 1 } }, d: null });
  });

  test('a UDF patch merges into the record and may rename the event', () => {
    const mapped = applyMapping(record(), effectiveConfig(undefined), { now: NOW });
    applyPatch(mapped, { name: 'pageview', properties: { seconds: 1.2 } }, 'sec');
    expect(mapped).toMatchObject({ name: 'pageview', properties: { durationMs: 1200, path: '/pricing', seconds: 1.2 } });
    expect(applyPatch(mapped, null, 'noop')).toBe(mapped);
  });

  test.each([
    ['an array', [1]],
    ['a string', 'x'],
    ['an unknown key', { ts: '2020-01-01T00:00:00.000Z' }],
    ['an empty name', { name: '' }],
    ['properties that are not an object', { properties: [1] }],
  ])('a UDF patch that is %s is the UDF\'s failure', (label, patch) => {
    const mapped = applyMapping(record(), effectiveConfig(undefined), { now: NOW });
    expect(() => applyPatch(mapped, patch, 'bad')).toThrow(expect.objectContaining({ code: 'TRANSFORM_UDF_FAILED' }));
  });
});
