import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEFAULT_NAMESPACE_MODULE } from '../../environment/src/paths.ts';
import { call, fix, reset, stepOk, testApp, type TestEnv } from './helpers.ts';

// Eight episodes at once on a two-core machine: each writes its own token to its workspace, its
// Redis prefix and its PostgreSQL database, some fix a bug, and nobody sees anybody else.

const N = 8;
let env: TestEnv;
before(async () => {
  env = await testApp({ namespaceModule: DEFAULT_NAMESPACE_MODULE, namespacePoolSize: 2, maxEpisodes: N });
});
after(async () => env.close());

const probe = (token: string, write: boolean) => `node -e "
const Redis = require('ioredis'); const { Client } = require('pg');
(async () => {
  const key = process.env.REDIS_PREFIX + 'probe';
  const r = new Redis(process.env.REDIS_URL);
  ${write ? "await r.set(key, process.argv[1]);" : ''}
  const v = await r.get(key); r.disconnect();
  const c = new Client({ connectionString: process.env.PIPELINE_DATABASE_URL }); await c.connect();
  ${write ? "await c.query('CREATE TABLE probe (v text)'); await c.query('INSERT INTO probe VALUES (\\$1)', [process.argv[1]]);" : ''}
  const { rows } = await c.query('SELECT v FROM probe'); await c.end();
  console.log(JSON.stringify({ redis: v, pg: rows.map((x) => x.v) }));
})().catch((e) => { console.error(e); process.exit(1); });" ${token}; ls token-* 2>/dev/null`;

test('eight episodes at once do not see each other', async () => {
  const episodes = await Promise.all(Array.from({ length: N }, (_, i) => reset(env.app, { task: 'full', seed: i })));
  const ids = episodes.map((e) => e.episodeId as string);
  assert.equal(new Set(ids).size, N);
  assert.equal((await call(env.app, 'POST', '/v1/reset', {})).body.code, 'ENV_ERR_CAPACITY');

  const tokens = ids.map((_, i) => `token-${i}-${Math.random().toString(36).slice(2, 8)}`);
  const written = await Promise.all(ids.map(async (id, i) => {
    await stepOk(env.app, id, { type: 'exec', command: `echo ${tokens[i]} > ${tokens[i]}` });
    if (i % 2 === 0) await stepOk(env.app, id, { type: 'patch', diff: fix('N1') });
    return stepOk(env.app, id, { type: 'exec', command: probe(tokens[i]!, true) });
  }));
  for (const [i, w] of written.entries()) {
    assert.equal(w.observation.exitCode, 0, w.observation.stderr);
    assert.equal(w.observation.stdout, `${JSON.stringify({ redis: tokens[i], pg: [tokens[i]] })}\n${tokens[i]}\n`);
  }

  // Everybody has written; read back: still only one's own token everywhere.
  const again = await Promise.all(ids.map((id, i) => stepOk(env.app, id, { type: 'exec', command: probe(tokens[i]!, false) })));
  const rewards = await Promise.all(ids.map((id) => call(env.app, 'POST', '/v1/reward', { episodeId: id })));
  for (const [i, r] of again.entries()) assert.equal(r.observation.stdout, `${JSON.stringify({ redis: tokens[i], pg: [tokens[i]] })}\n${tokens[i]}\n`);
  for (const [i, r] of rewards.entries()) {
    const n1 = r.body.report.bugs.find((b: { id: string }) => b.id === 'N1');
    assert.equal(n1.fixed, i % 2 === 0, `episode ${i}`);
  }
  await Promise.all(ids.map((id) => call(env.app, 'DELETE', `/v1/episodes/${id}`)));
  assert.equal((await call(env.app, 'GET', '/health')).body.episodes.running, 0);
});
