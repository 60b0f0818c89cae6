'use strict';

const { ERRORS, createError } = require('../utils/errors');

// One error handler for every service. A service names its catalogue (utils.defineErrors) and
// its code prefix; the answer is always `{ code, message, requestId }` with the status the
// catalogue gives the code. Anything the catalogues do not know is a 500 with a generic message,
// so internals never leak to a client.

// Connection-level failures of PostgreSQL, Redis or the broker: refused, reset, timed out, or
// the server going away (SQLSTATE classes 57P and 08).
const CONNECTION_CODE = /^(ECONN|EPIPE|ETIMEDOUT|57P|08)/;
const CONNECTION_MESSAGE = /timeout|terminated|Connection/i;

/** True when `err` says a store could not be reached (as opposed to refusing the request). */
function isStoreUnavailable(err) {
  if (!err) return false;
  return CONNECTION_CODE.test(String(err.code)) || CONNECTION_MESSAGE.test(String(err.message));
}

/**
 * @param {object} options
 * @param {string} options.prefix code prefix, e.g. 'AUTH': `<prefix>_INVALID_REQUEST` (400),
 *   `<prefix>_STORE_UNAVAILABLE` (503, when the catalogue has it) and `<prefix>_INTERNAL` (500)
 * @param {object} options.catalogue the service's codes (utils.defineErrors)
 * @returns {(err: Error) => { status: number, code: string, message: string }}
 */
function createErrorMapper({ prefix, catalogue }) {
  const storeUnavailable = catalogue[`${prefix}_STORE_UNAVAILABLE`];
  const internal = { status: 500, code: `${prefix}_INTERNAL`, message: 'internal error' };

  return function mapError(err) {
    if (err.validation) return { status: 400, code: `${prefix}_INVALID_REQUEST`, message: err.message };
    const known = catalogue[err.code] || ERRORS[err.code];
    // A catalogued code keeps its status; a code catalogued as 500 is a server fault, said generically.
    if (known) return known.statusCode === 500 ? internal : { status: known.statusCode, code: known.code, message: err.message };
    if (storeUnavailable && isStoreUnavailable(err)) return { status: 503, code: storeUnavailable.code, message: storeUnavailable.message };
    // fastify's own refusals (bad JSON, body too large, unsupported media type) are client errors.
    if (err.statusCode >= 400 && err.statusCode < 500) return { status: err.statusCode, code: err.code || `${prefix}_INVALID_REQUEST`, message: err.message };
    return internal;
  };
}

/** A fastify error handler built on createErrorMapper; 5xx answers are logged with the request id. */
function createErrorHandler({ prefix, catalogue, logger, service }) {
  const mapError = createErrorMapper({ prefix, catalogue });
  return function handleError(err, req, reply) {
    const { status, code, message } = mapError(err);
    if (status >= 500) logger.error({ err, requestId: req.id, url: req.url }, `${service} request failed`);
    return reply.code(status).send({ code, message, requestId: req.id });
  };
}

/** The body every error answer has; OpenAPI documents it as components.schemas.Error. */
const ERROR_BODY_SCHEMA = Object.freeze({
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } },
  required: ['code', 'message', 'requestId'],
  additionalProperties: false,
});

/**
 * Response schemas for route declarations: `{ 401: <error body>, 404: <error body> }` for
 * `errorResponses(401, 404)`. Fresh copies each time: fastify annotates the schemas it compiles.
 */
function errorResponses(...statuses) {
  return Object.fromEntries(statuses.map((status) => [status, structuredClone(ERROR_BODY_SCHEMA)]));
}

/** `(code, message?, details?) => DataNexusError` for the codes of one catalogue. */
function errorFactory(catalogue) {
  return function serviceError(code, message, details) {
    return createError(catalogue[code], message, { details });
  };
}

module.exports = { errorFactory, isStoreUnavailable, createErrorMapper, createErrorHandler, errorResponses, ERROR_BODY_SCHEMA };
