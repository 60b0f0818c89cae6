'use strict';

const fs = require('node:fs');
const path = require('node:path');
const Ajv = require('ajv');
const S = require('../../../../services/auth/src/routes/schemas');
const { createAuthenticator } = require('../../../../services/gateway/src/auth');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { silentLogger } = require('../../../../shared/utils/logger');
const { shapeDifferences } = require('../../../../shared/contracts');
const { verifyKey } = require('../../../../services/auth/src/keys/verify');
const { createKeyCache } = require('../../../../services/auth/src/keys/cache');
const { parseKey, hashSecret } = require('../../../../services/auth/src/keys/format');
const { startUpstream } = require('../../../support/http');

const DIR = path.join(__dirname, '..', '..', '..', '..', 'shared', 'contracts', 'auth', 'http');
const load = (name) => JSON.parse(fs.readFileSync(path.join(DIR, name), 'utf8'));
const ajv = new Ajv({ strict: false });

describe('POST /v1/keys/verify contract', () => {
  test('request and responses match auth\'s route schemas', () => {
    expect(ajv.validate(S.verifyKey.body, load('keys-verify.request.json').body)).toBe(true);
    expect(ajv.validate(S.verifyKey.response[200], load('keys-verify.response.200.json').body)).toBe(true);
    expect(ajv.validate(S.verifyKey.response[401], load('keys-verify.response.401.json').body)).toBe(true);
    expect(ajv.validate(S.verifyKey.response[403], load('keys-verify.response.403.json').body)).toBe(true);
  });

  test('auth produces a principal with the fixture\'s shape', async () => {
    const { key } = load('keys-verify.request.json').body;
    const expected = load('keys-verify.response.200.json').body;
    const { keyId, secret } = parseKey(key);
    const repo = { findForVerify: async () => ({ id: keyId, tenant_id: expected.tenantId, role: expected.role, scopes: expected.scopes, secret_digest: hashSecret(secret), revoked_at: null, tenant_status: 'active' }) };
    const principal = await verifyKey({ repo, cache: createKeyCache({ clock: createFakeClock(0) }) }, key);
    expect(principal).toEqual(expected);
    expect(shapeDifferences(expected, principal)).toEqual([]);
  });

  test.each([
    ['keys-verify.response.200.json', null],
    ['keys-verify.response.401.json', 401],
    ['keys-verify.response.403.json', 403],
  ])('the gateway consumes %s', async (file, failureStatus) => {
    const answer = load(file);
    const auth = await startUpstream(() => ({ status: answer.status, body: answer.body }));
    try {
      const upstreams = { resolve: async () => ({ host: '127.0.0.1', port: auth.port }), invalidate() {} };
      const authenticator = createAuthenticator({ config: { INTERNAL_TOKEN: 'tok', AUTH_TIMEOUT_MS: 1000, AUTH_DISABLED: false }, clock: createFakeClock(0), upstreams, logger: silentLogger });
      const request = load('keys-verify.request.json');
      const outcome = authenticator.authenticate({ 'x-api-key': request.body.key }, 'req-7f3c');
      if (failureStatus === null) {
        await expect(outcome).resolves.toMatchObject(answer.body);
      } else {
        await expect(outcome).rejects.toMatchObject({ status: failureStatus, code: answer.body.code });
      }
      expect(JSON.parse(auth.requests[0].body)).toEqual(request.body);
      expect(auth.requests[0].headers['x-internal-token']).toBe('tok');
    } finally {
      await auth.close();
    }
  });
});
