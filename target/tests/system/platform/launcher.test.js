'use strict';

const path = require('node:path');
const readline = require('node:readline');
const { spawn } = require('node:child_process');
const { useNamespace } = require('../../support/namespace');

// The platform as `npm start` boots it: the launcher in a child process on the namespace's
// servers, every service on an ephemeral port, one request through the gateway to admin.
const LAUNCHER = path.join(__dirname, '..', '..', '..', 'scripts', 'start.js');
const INTERNAL_TOKEN = 'launcher-test-token';

const ns = useNamespace({ databases: ['users', 'pipeline', 'metrics'] });
let child;
let exited;
const listening = {};
const output = [];

/** Resolves once the launcher has printed its "started" line; rejects if it exits first. */
function untilStarted(lines) {
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      output.push(line);
      const match = /^(\S+) listening on (http:\/\/\S+)$/.exec(line);
      if (match) listening[match[1]] = match[2];
      if (line.startsWith('started ')) resolve(line);
    });
    exited.then(({ code }) => reject(new Error(`launcher exited with ${code} before starting:\n${output.join('\n')}`)));
  });
}

beforeAll(async () => {
  const env = { ...process.env, ...ns.env, INTERNAL_TOKEN, GATEWAY_PORT: '0', AUTH_PORT: '0', INGESTION_PORT: '0', TRANSFORM_PORT: '0', ROUTER_PORT: '0', AGGREGATE_PORT: '0', STORE_PORT: '0', ADMIN_PORT: '0', STORE_EXPORT_DIR: path.join(ns.env.OBJECT_STORE_DIR, 'exports'), LOG_LEVEL: 'silent' };
  child = spawn(process.execPath, [LAUNCHER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  child.stderr.on('data', (chunk) => output.push(String(chunk)));
  await untilStarted(readline.createInterface({ input: child.stdout }));
  // eight services boot in the child: on a loaded machine that takes longer than jest's 30 s
}, 60_000);

ns.cleanup(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
});

describe('npm start', () => {
  test('boots every built service and prints where each listens', () => {
    expect(Object.keys(listening).sort()).toEqual(['admin', 'aggregate', 'auth', 'gateway', 'ingestion', 'router', 'store', 'transform']);
    expect(output).toContain('started gateway, auth, ingestion, transform, router, aggregate, store, admin; Ctrl-C stops them');
  });

  test('a request through the gateway reaches admin with a key auth issued', async () => {
    const issued = await fetch(`${listening.auth}/v1/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-token': INTERNAL_TOKEN, 'x-tenant-id': 'platform', 'x-user-role': 'platform-admin' },
      body: JSON.stringify({ name: 'ops', role: 'platform-admin' }),
    });
    expect(issued.status).toBe(201);
    const { key } = await issued.json();
    const res = await fetch(`${listening.gateway}/api/v1/admin/tenants`, { headers: { 'x-api-key': key } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ items: [] });
  });

  test('a tenant\'s request through the gateway reaches store', async () => {
    const issued = await fetch(`${listening.auth}/v1/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-token': INTERNAL_TOKEN, 'x-tenant-id': 'tenant-launch', 'x-user-role': 'owner' },
      body: JSON.stringify({ name: 'reader', role: 'viewer' }),
    });
    expect(issued.status).toBe(201);
    const { key } = await issued.json();
    const res = await fetch(`${listening.gateway}/api/v1/store/retention`, { headers: { 'x-api-key': key } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ days: 90, source: 'default' });
  });

  test('SIGTERM stops every service and the launcher exits 0', async () => {
    child.kill('SIGTERM');
    // 'close' comes after the child exited and its output was read to the end.
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(output.slice(-2)).toEqual(['SIGTERM: stopping', 'stopped']);
  });
});
