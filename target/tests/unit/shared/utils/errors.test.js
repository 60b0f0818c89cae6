'use strict';

const { DataNexusError, ERRORS, createError, defineErrors, isDataNexusError } = require('../../../../shared/utils/errors');
const { ConfigError } = require('../../../../shared/utils/config');

describe('error catalogue', () => {
  test('every catalogue key equals its code and carries an HTTP status', () => {
    const entries = Object.entries(ERRORS);
    expect(entries.length).toBeGreaterThan(10);
    for (const [key, entry] of entries) {
      expect(entry.code).toBe(key);
      expect(key).toMatch(/^DN_[A-Z0-9_]+$/);
      expect(Number.isInteger(entry.statusCode)).toBe(true);
      expect(typeof entry.message).toBe('string');
    }
    expect(Object.isFrozen(ERRORS)).toBe(true);
  });

  test('holds the codes the shared clients rely on', () => {
    for (const code of [
      'DN_CONFIG_INVALID',
      'DN_DB_UNKNOWN',
      'DN_DB_URL_MISSING',
      'DN_MIGRATION_ORDER',
      'DN_MIGRATION_CHECKSUM',
      'DN_OBJECT_KEY_INVALID',
      'DN_OBJECT_NOT_FOUND',
      'DN_BUCKET_NOT_FOUND',
      'DN_AMQP_CLOSED',
      'DN_REGISTRY_INVALID',
    ]) {
      expect(ERRORS[code]).toBeDefined();
    }
  });

  test('createError builds a DataNexusError with code, status, details and cause', () => {
    const cause = new Error('socket hang up');
    const err = createError(ERRORS.DN_DB_UNKNOWN, 'unknown database "x"', { details: { db: 'x' }, cause });
    expect(err).toBeInstanceOf(DataNexusError);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'DN_DB_UNKNOWN', statusCode: 500, details: { db: 'x' }, message: 'unknown database "x"' });
    expect(err.cause).toBe(cause);
    expect(createError('DN_AMQP_CLOSED').statusCode).toBe(503);
    expect(isDataNexusError(err, 'DN_DB_UNKNOWN')).toBe(true);
    expect(isDataNexusError(new Error('x'))).toBe(false);
    expect(() => createError('NOPE')).toThrow(TypeError);
  });

  test('ConfigError from the leaf config module is recognised as a DataNexusError', () => {
    const err = new ConfigError('PORT', 'an integer', 'abc');
    expect(err).toBeInstanceOf(DataNexusError);
    expect(isDataNexusError(err, 'DN_CONFIG_INVALID')).toBe(true);
    class Other extends DataNexusError {}
    expect(err).not.toBeInstanceOf(Other);
  });

  test('defineErrors builds service catalogues of the same shape', () => {
    const table = defineErrors({ SVC_THING: { statusCode: 409, message: 'thing' } });
    expect(table.SVC_THING).toEqual({ code: 'SVC_THING', statusCode: 409, message: 'thing' });
    expect(createError(table.SVC_THING).statusCode).toBe(409);
  });
});
