'use strict';

const { createRabbit } = require('../../../../shared/clients/rabbit');
const { loadConfig } = require('../../../../shared/utils/config');
const { createFakeClock } = require('../../../../shared/utils/clock');

describe('rabbit client configuration', () => {
  test.each([
    ['RECONNECT_BASE_MS', '100'],
    ['RECONNECT_MAX_MS', 0],
    ['RECONNECT_BASE_MS', Number.NaN],
  ])('refuses %s=%p (backoff must be a positive number of ms)', (key, value) => {
    const config = { ...loadConfig({ LOG_LEVEL: 'silent' }), [key]: value };
    expect(() => createRabbit(config, { clock: createFakeClock() })).toThrow(
      expect.objectContaining({ code: 'DN_CONFIG_INVALID', details: expect.objectContaining({ key }) }),
    );
  });

  test('a closed client refuses channels and connects', async () => {
    const rabbit = createRabbit(loadConfig({ LOG_LEVEL: 'silent' }), { clock: createFakeClock() });
    await rabbit.close();
    expect(rabbit.state).toBe('closed');
    await expect(rabbit.channel()).rejects.toMatchObject({ code: 'DN_AMQP_CLOSED' });
    await expect(rabbit.connect()).rejects.toMatchObject({ code: 'DN_AMQP_CLOSED' });
  });
});
