'use strict';

// Stable codes of the events package. Callers branch on `err.code`; messages are for people.

const { defineErrors, createError } = require('../utils/errors');

const EVENT_ERRORS = defineErrors({
  DN_EVENTS_UNKNOWN_QUEUE: { statusCode: 500, message: 'queue is not in the topology table' },
  DN_EVENTS_UNKNOWN_EXCHANGE: { statusCode: 500, message: 'exchange is not in the topology table' },
  DN_EVENTS_QUEUE_INVALID: { statusCode: 500, message: 'queue definition is invalid' },
  DN_EVENTS_ENVELOPE_INVALID: { statusCode: 400, message: 'event envelope does not match its contract' },
  DN_EVENTS_UNDECODABLE: { statusCode: 400, message: 'message body is not a JSON event envelope' },
  DN_EVENTS_ID_MISSING: { statusCode: 400, message: 'message has no id to deduplicate on' },
  DN_EVENTS_IN_PROGRESS: { statusCode: 409, message: 'another delivery of this message is being processed' },
  DN_EVENTS_PUBLISH_CLOSED: { statusCode: 503, message: 'the channel closed before the broker confirmed the message' },
  DN_EVENTS_OPTIONS_INVALID: { statusCode: 500, message: 'options are invalid' },
});

function eventError(code, message, options) {
  return createError(EVENT_ERRORS[code], message, options);
}

module.exports = { EVENT_ERRORS, eventError };
