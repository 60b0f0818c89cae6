'use strict';

// One catalogue of stable error codes for the shared library. Callers branch on `err.code`, never
// on message text, so the codes are part of the public API: a unit test checks that every key of
// ERRORS equals its `code`, which keeps a renamed entry from silently breaking those branches.

// config.js is a leaf module and cannot require this file, so its ConfigError carries the same
// brand instead of inheriting; `instanceof DataNexusError` recognises both through the brand.
const BRAND = Symbol.for('datanexus.error');

class DataNexusError extends Error {
  /**
   * @param {string} code stable code (an ERRORS key, or a service catalogue's own)
   * @param {string} message what went wrong, naming what was expected and what arrived
   * @param {{ statusCode?: number, details?: object, cause?: unknown }} [options]
   */
  constructor(code, message, options = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DataNexusError';
    this.code = code;
    this.statusCode = options.statusCode ?? 500;
    this.details = options.details ?? {};
    Object.defineProperty(this, BRAND, { value: true });
  }

  static [Symbol.hasInstance](value) {
    // Subclasses keep ordinary prototype-chain semantics; only the base class accepts the brand.
    if (this !== DataNexusError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return value != null && typeof value === 'object' && value[BRAND] === true;
  }

  toJSON() {
    return { code: this.code, message: this.message, statusCode: this.statusCode, details: this.details };
  }
}

/**
 * Builds a frozen catalogue from `{ CODE: { statusCode, message } }`, filling in `code` from the
 * key. Services use it for their own catalogues so every package has the same shape.
 */
function defineErrors(table) {
  const out = Object.create(null);
  for (const [code, entry] of Object.entries(table)) {
    out[code] = Object.freeze({ code, statusCode: entry.statusCode ?? 500, message: entry.message });
  }
  return Object.freeze(out);
}

const ERRORS = defineErrors({
  DN_CONFIG_INVALID: { statusCode: 500, message: 'configuration value is invalid' },
  DN_DB_UNKNOWN: { statusCode: 500, message: 'unknown database name' },
  DN_DB_URL_MISSING: { statusCode: 500, message: 'database URL is not configured' },
  DN_DB_CLOSED: { statusCode: 503, message: 'the postgres client is closed' },
  DN_MIGRATION_ORDER: { statusCode: 500, message: 'migration files cannot be ordered' },
  DN_MIGRATION_CHECKSUM: { statusCode: 500, message: 'an applied migration file has changed' },
  DN_MIGRATION_FAILED: { statusCode: 500, message: 'a migration failed to apply' },
  DN_MIGRATION_TABLE_INVALID: { statusCode: 500, message: 'migration table name is not a plain identifier' },
  DN_OBJECT_KEY_INVALID: { statusCode: 400, message: 'object key is invalid' },
  DN_OBJECT_NOT_FOUND: { statusCode: 404, message: 'object not found' },
  DN_BUCKET_NOT_FOUND: { statusCode: 404, message: 'bucket not found' },
  DN_BUCKET_NAME_INVALID: { statusCode: 400, message: 'bucket name is invalid' },
  DN_OBJECT_STORE_DIR_MISSING: { statusCode: 500, message: 'OBJECT_STORE_DIR is not configured' },
  DN_AMQP_CLOSED: { statusCode: 503, message: 'the AMQP client is closed' },
  DN_AMQP_UNAVAILABLE: { statusCode: 503, message: 'the AMQP connection is not ready' },
  DN_AMQP_NACK: { statusCode: 503, message: 'the broker refused a published message' },
  DN_REGISTRY_INVALID: { statusCode: 500, message: 'service registration is invalid' },
  DN_REGISTRY_NOT_REGISTERED: { statusCode: 404, message: 'instance is not registered' },
  DN_REGISTRY_KV_KEY_INVALID: { statusCode: 400, message: 'KV key is invalid' },
  DN_PRNG_SEED_INVALID: { statusCode: 500, message: 'PRNG seed is invalid' },
  DN_ARGUMENT_INVALID: { statusCode: 500, message: 'argument is invalid' },
});

/**
 * Factory: `createError(ERRORS.DN_DB_UNKNOWN, 'unknown database "x"', { details, cause })`.
 * The first argument may also be a code string from ERRORS.
 */
function createError(entryOrCode, message, options = {}) {
  const entry = typeof entryOrCode === 'string' ? ERRORS[entryOrCode] : entryOrCode;
  if (!entry || typeof entry.code !== 'string') {
    throw new TypeError(`createError expects an ERRORS entry or code, got ${String(entryOrCode)}`);
  }
  return new DataNexusError(entry.code, message ?? entry.message, {
    statusCode: options.statusCode ?? entry.statusCode,
    details: options.details,
    cause: options.cause,
  });
}

/** True when `err` is a DataNexusError (or ConfigError), optionally with the given code. */
function isDataNexusError(err, code) {
  return err instanceof DataNexusError && (code === undefined || err.code === code);
}

module.exports = { DataNexusError, ERRORS, defineErrors, createError, isDataNexusError, ERROR_BRAND: BRAND };
