'use strict';

const { createLogger } = require('../../../../shared/utils/logger');
const { createFakeClock } = require('../../../../shared/utils/clock');

describe('logger', () => {
  test('writes one JSON record per call with time, level, name and fields', () => {
    const sink = [];
    const clock = createFakeClock(42);
    const log = createLogger({ name: 'svc', level: 'info', sink, clock });
    log.info('started', { port: 3000 });
    log.warn({ attempt: 2 }, 'retrying');
    expect(sink).toEqual([
      { time: 42, level: 'info', name: 'svc', port: 3000, msg: 'started' },
      { time: 42, level: 'warn', name: 'svc', attempt: 2, msg: 'retrying' },
    ]);
  });

  test('drops records below the level; silent drops everything', () => {
    const sink = [];
    const log = createLogger({ level: 'warn', sink });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(sink.map((r) => r.level)).toEqual(['warn', 'error']);
    expect(log.isLevelEnabled('info')).toBe(false);
    const silent = createLogger({ level: 'silent', sink });
    silent.error('nothing');
    expect(sink).toHaveLength(2);
  });

  test('child loggers add bindings and keep the parent untouched', () => {
    const sink = [];
    const log = createLogger({ name: 'root', level: 'debug', sink, clock: createFakeClock() });
    const child = log.child({ requestId: 'r1' });
    child.debug('inside');
    log.debug('outside');
    expect(sink[0]).toMatchObject({ requestId: 'r1', name: 'root', msg: 'inside' });
    expect(sink[1]).not.toHaveProperty('requestId');
  });

  test('serialises errors with code and cause', () => {
    const sink = [];
    const log = createLogger({ level: 'error', sink });
    const err = Object.assign(new Error('boom', { cause: new Error('root cause') }), { code: 'E_X' });
    log.error('failed', { err });
    expect(sink[0].err).toMatchObject({ type: 'Error', message: 'boom', code: 'E_X', cause: { message: 'root cause' } });
  });

  test('takes its default level from LOG_LEVEL through the config module', () => {
    jest.isolateModules(() => {
      const saved = process.env.LOG_LEVEL;
      process.env.LOG_LEVEL = 'error';
      try {
        const { createLogger: isolated } = require('../../../../shared/utils/logger');
        const sink = [];
        const log = isolated({ sink });
        log.warn('hidden');
        log.error('shown');
        expect(log.level).toBe('error');
        expect(sink.map((r) => r.msg)).toEqual(['shown']);
      } finally {
        if (saved === undefined) delete process.env.LOG_LEVEL;
        else process.env.LOG_LEVEL = saved;
      }
    });
  });

  test('rejects an unknown level', () => {
    expect(() => createLogger({ level: 'verbose', sink: [] })).toThrow(/verbose/);
  });
});
