'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { upstreamHeaders } = require('../../../../services/gateway/src/proxy');
const { createHub } = require('../../../../services/gateway/src/ws/hub');
const { callerOf } = require('../../../../services/admin/src/identity');
const { createCallerResolver } = require('../../../../services/auth/src/identity');

const DIR = path.join(__dirname, '..', '..', '..', '..', 'shared', 'contracts', 'gateway');
const identity = JSON.parse(fs.readFileSync(path.join(DIR, 'http', 'identity-headers.json'), 'utf8')).headers;
const live = JSON.parse(fs.readFileSync(path.join(DIR, 'live', 'live-message.json'), 'utf8'));
const TOKEN = 'contract-token';
const withToken = { ...identity, 'x-internal-token': TOKEN };

describe('gateway identity headers contract', () => {
  test('the gateway produces every header of the fixture', () => {
    const produced = upstreamHeaders(
      { 'x-forwarded-for': undefined },
      { principal: { tenantId: 'tenant-acme', role: 'platform-admin', keyId: 'AbCdEfGh12345678', scopes: ['data:read'] }, requestId: 'req-7f3c', clientIp: '203.0.113.9', internalToken: TOKEN },
    );
    expect(produced).toEqual({ ...withToken });
  });

  test('admin and auth read the same caller from the fixture headers', () => {
    expect(callerOf({ headers: withToken }, { INTERNAL_TOKEN: TOKEN })).toMatchObject({ tenantId: 'tenant-acme', role: 'platform-admin', keyId: 'AbCdEfGh12345678' });
    const resolve = createCallerResolver({ config: { INTERNAL_TOKEN: TOKEN }, sessions: null });
    expect(resolve({ headers: withToken })).toMatchObject({ kind: 'key', tenantId: 'tenant-acme', role: 'platform-admin', keyId: 'AbCdEfGh12345678' });
  });

  test('a live message fans out as the fixture frame', () => {
    const hub = createHub();
    const sent = [];
    const socket = { readyState: 1, send: (f) => sent.push(JSON.parse(f)) };
    hub.add(socket, { tenantId: live.message.tenantId });
    hub.subscribe(socket, live.message.topic);
    hub.publish(live.message.tenantId, live.message.topic, live.message.data);
    expect(sent).toEqual([live.frame]);
  });
});
