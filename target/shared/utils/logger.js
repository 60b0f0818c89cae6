'use strict';

// JSON-lines structured logger: one object per line, so logs can be grepped by field and parsed
// by machines. Deliberately tiny: levels, bindings, child loggers, error serialisation.

// The default level comes from the default config that shared/ exposes.
const { config } = require('../index');
const { systemClock } = require('./clock');

const LEVELS = Object.freeze({ silent: 0, error: 1, warn: 2, info: 3, debug: 4 });
const DEFAULT_LEVEL = config.get('LOG_LEVEL');

function serialiseError(err) {
  if (!(err instanceof Error)) return err;
  const out = { type: err.name, message: err.message };
  if (err.code !== undefined) out.code = err.code;
  if (err.statusCode !== undefined) out.statusCode = err.statusCode;
  if (err.stack) out.stack = err.stack;
  if (err.cause !== undefined) out.cause = serialiseError(err.cause);
  return out;
}

function toSink(sink) {
  if (sink === undefined) return (line) => process.stderr.write(`${line}\n`);
  // An array sink collects parsed records: tests assert on fields, not on formatting.
  if (Array.isArray(sink)) return (line) => sink.push(JSON.parse(line));
  if (typeof sink === 'function') return sink;
  if (sink && typeof sink.write === 'function') return (line) => sink.write(`${line}\n`);
  throw new TypeError('logger sink must be an array, a function or a writable stream');
}

/**
 * @param {object} [options]
 * @param {string} [options.name] logger name, written as `name` on every record
 * @param {'silent'|'error'|'warn'|'info'|'debug'} [options.level] default: LOG_LEVEL from config
 * @param {Array|Function|{write: Function}} [options.sink] default: process.stderr
 * @param {{ now(): number }} [options.clock] time source for the `time` field
 * @param {object} [options.bindings] fields added to every record
 */
function createLogger(options = {}) {
  const level = options.level ?? DEFAULT_LEVEL;
  if (!Object.hasOwn(LEVELS, level)) {
    throw new TypeError(`logger level must be one of ${Object.keys(LEVELS).join('/')}, got ${JSON.stringify(level)}`);
  }
  const write = toSink(options.sink);
  const clock = options.clock ?? systemClock;
  return build({ name: options.name, level, write, clock, bindings: { ...options.bindings } });
}

function build(state) {
  const threshold = LEVELS[state.level];

  function log(levelName, a, b) {
    if (LEVELS[levelName] > threshold) return;
    // Accept both `log.info('msg', { fields })` and `log.info({ fields }, 'msg')`.
    let msg;
    let fields;
    if (typeof a === 'string') {
      msg = a;
      fields = b;
    } else {
      fields = a;
      msg = b;
    }
    if (fields instanceof Error) fields = { err: fields };
    const record = { time: state.clock.now(), level: levelName };
    if (state.name !== undefined) record.name = state.name;
    Object.assign(record, state.bindings);
    if (fields && typeof fields === 'object') {
      for (const [k, v] of Object.entries(fields)) record[k] = v instanceof Error ? serialiseError(v) : v;
    }
    if (msg !== undefined) record.msg = msg;
    state.write(JSON.stringify(record));
  }

  return {
    level: state.level,
    name: state.name,
    error: (a, b) => log('error', a, b),
    warn: (a, b) => log('warn', a, b),
    info: (a, b) => log('info', a, b),
    debug: (a, b) => log('debug', a, b),
    isLevelEnabled: (name) => LEVELS[name] !== undefined && LEVELS[name] > 0 && LEVELS[name] <= threshold,
    child(bindings = {}, overrides = {}) {
      if (overrides.level !== undefined && !Object.hasOwn(LEVELS, overrides.level)) {
        throw new TypeError(`logger level must be one of ${Object.keys(LEVELS).join('/')}, got ${JSON.stringify(overrides.level)}`);
      }
      return build({
        ...state,
        level: overrides.level ?? state.level,
        bindings: { ...state.bindings, ...bindings },
      });
    },
  };
}

/** A logger that drops everything; the default for components built in tests without one. */
const silentLogger = build({ name: undefined, level: 'silent', write: () => {}, clock: systemClock, bindings: {} });

module.exports = { createLogger, silentLogger, LEVELS, serialiseError };
