import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startOkUser } from '../../environment/src/sandbox/net/amqp-gate.ts';
import { decide, type ManagementAccess } from '../../environment/src/sandbox/net/management-gate.ts';
import { refusal } from '../../environment/src/sandbox/net/pg-gate.ts';
import { changesIdentity } from '../../environment/src/sandbox/net/redis-gate.ts';
import { encodeRequest, RespError, RespRequestParser } from '../../environment/src/sandbox/net/resp.ts';

// The gates' decisions on the bytes a sandbox could send, without servers; the real servers are
// exercised in isolation.test.ts.

const P = 'dnp_0123456789ab';

describe('Redis request parsing', () => {
  test('splits pipelined requests however the bytes are chunked, keeping their exact bytes', () => {
    const big = Buffer.alloc(200_000, 0x61);
    const wire = Buffer.concat([encodeRequest(['SET', `${P}_k`, big]), encodeRequest(['GET', `${P}_k`]), encodeRequest(['AUTH', 'default', 'x'])]);
    for (const size of [1, 7, 4096, wire.length]) {
      const parser = new RespRequestParser();
      const got = [];
      for (let i = 0; i < wire.length; i += size) got.push(...parser.push(wire.subarray(i, i + size)));
      assert.deepEqual(got.map((r) => r.args[0]!.toString()), ['SET', 'GET', 'AUTH'], `chunks of ${size}`);
      assert.equal(got[0]!.args[2]!.length, big.length);
      assert.deepEqual(Buffer.concat(got.map((r) => r.raw)), wire);
    }
  });

  test('refuses inline commands and malformed lengths', () => {
    assert.throws(() => new RespRequestParser().push(Buffer.from('AUTH default x\r\n')), RespError);
    assert.throws(() => new RespRequestParser().push(Buffer.from('*1\r\n$-5\r\n')), RespError);
  });

  test('AUTH, HELLO with AUTH and RESET change identity; HELLO alone and other commands do not', () => {
    const args = (...a: string[]) => a.map((x) => Buffer.from(x));
    assert.equal(changesIdentity(args('auth', 'default', 'x')), true);
    assert.equal(changesIdentity(args('HELLO', '3', 'auth', 'default', 'x')), true);
    assert.equal(changesIdentity(args('reset')), true);
    assert.equal(changesIdentity(args('HELLO', '3')), false);
    assert.equal(changesIdentity(args('GET', 'auth')), false);
  });
});

describe('PostgreSQL startup', () => {
  const allow = { role: P, database: (d: string) => d === 'postgres' || d.startsWith(`${P}_`) };
  const params = (o: Record<string, string>) => new Map(Object.entries(o));
  test('only the principal, only its databases and the maintenance one, never replication', () => {
    assert.equal(refusal(params({ user: P, database: `${P}_x` }), allow), null);
    assert.equal(refusal(params({ user: P, database: 'postgres' }), allow), null);
    assert.match(refusal(params({ user: 'postgres', database: 'postgres' }), allow)!, /role "postgres"/);
    assert.match(refusal(params({ user: P, database: 'template1' }), allow)!, /database "template1"/);
    assert.match(refusal(params({ user: P, database: 'dnp_0123456789ac_x' }), allow)!, /not available/);
    // no database named: PostgreSQL uses the user's name, which is not one of its databases
    assert.match(refusal(params({ user: P }), allow)!, /database "dnp_0123456789ab"/);
    assert.match(refusal(params({ user: P, database: 'postgres', replication: 'database' }), allow)!, /replication/);
  });
});

describe('AMQP Connection.StartOk', () => {
  function startOk(mechanism: string, response: string): Buffer {
    const mech = Buffer.from(mechanism);
    const resp = Buffer.from(response);
    const payload = Buffer.alloc(4 + 4 + 1 + mech.length + 4 + resp.length + 1 + 5);
    let at = 0;
    at = payload.writeUInt16BE(10, at);
    at = payload.writeUInt16BE(11, at);
    at = payload.writeUInt32BE(0, at); // empty client-properties
    at = payload.writeUInt8(mech.length, at);
    at += mech.copy(payload, at);
    at = payload.writeUInt32BE(resp.length, at);
    at += resp.copy(payload, at);
    at = payload.writeUInt8(5, at);
    payload.write('en_US', at);
    const head = Buffer.alloc(7);
    head.writeUInt8(1, 0);
    head.writeUInt32BE(payload.length, 3);
    return Buffer.concat([head, payload, Buffer.from([0xce])]);
  }
  test('reads the PLAIN user; refuses other mechanisms and a different authorization identity', () => {
    assert.deepEqual(startOkUser(startOk('PLAIN', `\0${P}\0secret`)), { user: P });
    assert.deepEqual(startOkUser(startOk('PLAIN', '\0guest\0guest')), { user: 'guest' });
    assert.match((startOkUser(startOk('AMQPLAIN', 'x')) as { error: string }).error, /mechanism AMQPLAIN/);
    assert.match((startOkUser(startOk('PLAIN', `guest\0${P}\0secret`)) as { error: string }).error, /authorization identity/);
  });
});

describe('management API allow-list', () => {
  const access: ManagementAccess = {
    url: 'http://127.0.0.1:15672', admin: { user: 'guest', password: 'guest' }, principal: { user: P, password: 's' },
    ownsVhost: (v) => v.startsWith(`${P}_`),
  };
  test('creates and deletes only its vhosts as the administrator, grants only itself, reads as itself', () => {
    assert.deepEqual(decide('PUT', `/api/vhosts/${P}_v`, access), { as: 'admin', then: 'grant' });
    assert.deepEqual(decide('DELETE', `/api/vhosts/${P}_v`, access), { as: 'admin' });
    assert.deepEqual(decide('PUT', `/api/permissions/${P}_v/${P}`, access), { as: 'admin' });
    assert.deepEqual(decide('GET', `/api/exchanges/${P}_v/x`, access), { as: 'principal' });
    for (const [m, p] of [['PUT', '/api/vhosts/other'], ['DELETE', '/api/vhosts/%2F'], ['PUT', `/api/permissions/${P}_v/guest`], ['PUT', `/api/users/${P}`], ['POST', '/api/definitions'], ['DELETE', `/api/vhosts/${P}_v/extra`]]) {
      assert.ok('refuse' in decide(m!, p!, access), `${m} ${p}`);
    }
  });
});
