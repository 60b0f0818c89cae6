'use strict';

const { upstreamHeaders, identityHeaders } = require('../../../../services/gateway/src/proxy');
const { createRequestIds, SAFE_REQUEST_ID } = require('../../../../shared/service/requestId');

const principal = { tenantId: 't-acme', keyId: 'KEY1', role: 'member', scopes: ['data:read'] };

describe('upstream headers', () => {
  test('hop-by-hop headers and the API key are not forwarded', () => {
    const out = upstreamHeaders(
      { connection: 'keep-alive', 'transfer-encoding': 'chunked', host: 'gw', 'x-api-key': 'dnk_secret', accept: 'application/json' },
      { principal, requestId: 'r1', clientIp: '10.0.0.1', internalToken: 'tok' },
    );
    expect(out).not.toHaveProperty('connection');
    expect(out).not.toHaveProperty('transfer-encoding');
    expect(out).not.toHaveProperty('host');
    expect(out).not.toHaveProperty('x-api-key');
    expect(out.accept).toBe('application/json');
  });

  test('identity headers come from the authenticated principal', () => {
    const out = upstreamHeaders({}, { principal, requestId: 'r1', clientIp: '10.0.0.1', internalToken: 'tok' });
    expect(out).toMatchObject({ 'x-tenant-id': 't-acme', 'x-key-id': 'KEY1', 'x-user-role': 'member', 'x-key-scopes': 'data:read', 'x-internal-token': 'tok' });
  });

  test('the request id and the client address are set by the gateway', () => {
    const out = upstreamHeaders({ 'x-request-id': 'spoof', 'x-forwarded-for': '1.1.1.1' }, { principal, requestId: 'r9', clientIp: '10.0.0.1' });
    expect(out['x-request-id']).toBe('r9');
    expect(out['x-forwarded-for']).toBe('1.1.1.1, 10.0.0.1');
  });

  test('anonymous requests carry no identity', () => {
    expect(identityHeaders(null)).toEqual({});
  });
});

describe('request ids', () => {
  test('a safe client id is kept, anything else is replaced', () => {
    const ids = createRequestIds(() => 'generated');
    expect(ids({ headers: { 'x-request-id': 'abc-123.def:4' } })).toBe('abc-123.def:4');
    expect(ids({ headers: { 'x-request-id': 'a\r\nset-cookie: x' } })).toBe('generated');
    expect(ids({ headers: { 'x-request-id': 'x'.repeat(129) } })).toBe('generated');
    expect(ids({ headers: {} })).toBe('generated');
  });

  test('the safe pattern has no separators or quotes', () => {
    for (const bad of ['a b', 'a"b', 'a,b', 'a;b', '']) expect(SAFE_REQUEST_ID.test(bad)).toBe(false);
  });
});
