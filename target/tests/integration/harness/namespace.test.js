'use strict';

const { Client } = require('pg');
const Redis = require('ioredis');
const amqp = require('amqplib');
const { createNamespace } = require('../../support/namespace');

describe('test namespace', () => {
  test('gives each namespace its own databases, Redis prefix and vhost, and drops them', async () => {
    const a = await createNamespace({ databases: ['pipeline'] });
    const b = await createNamespace({ databases: ['pipeline'] });
    try {
      expect(a.databaseUrls.pipeline).not.toEqual(b.databaseUrls.pipeline);
      const ca = new Client({ connectionString: a.env.PIPELINE_DATABASE_URL });
      await ca.connect();
      await ca.query('CREATE TABLE t (x int)');
      await ca.end();
      const cb = new Client({ connectionString: b.env.PIPELINE_DATABASE_URL });
      await cb.connect();
      const { rows } = await cb.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 't'");
      await cb.end();
      expect(rows[0].n).toBe(0);

      const conn = await amqp.connect(a.env.AMQP_URL);
      const ch = await conn.createChannel();
      await ch.assertQueue('q');
      await conn.close();
      const connB = await amqp.connect(b.env.AMQP_URL);
      const chB = await connB.createChannel();
      chB.on('error', () => {});
      await expect(chB.checkQueue('q')).rejects.toThrow(/404/);
      await connB.close().catch(() => {});
    } finally {
      await a.drop();
      await b.drop();
    }
    const redis = new Redis(a.env.REDIS_URL);
    const keys = await redis.keys(`${a.id}:*`);
    redis.disconnect();
    expect(keys).toEqual([]);
  });
});
