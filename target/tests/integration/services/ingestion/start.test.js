'use strict';

const { useNamespace } = require('../../../support/namespace');
const { serviceEnv } = require('../../../support/boot-service');
const { call, internalHeaders } = require('../../../support/http');
const { createPostgres } = require('../../../../shared/clients/postgres');
const ingestion = require('../../../../services/ingestion/src/index');

const ns = useNamespace({ databases: ['pipeline'] });

describe('the service process', () => {
  test('starts from its environment, accepts an event, writes it on stop and stops cleanly', async () => {
    const handle = await ingestion.start({ env: serviceEnv(ns, { INGEST_FLUSH_MS: '1h', OUTBOX_INTERVAL_MS: '1h' }) });
    ns.cleanup(() => handle.stop());
    const reader = createPostgres(ns.env);
    ns.cleanup(() => reader.close());
    expect(handle.config.INGEST_BATCH_SIZE).toBe(500);
    const res = await call(handle.app, { method: 'POST', url: '/v1/events', headers: internalHeaders({ tenantId: 't-start' }), payload: { eventId: 'st-1', name: 'n', ts: '2024-05-01T10:00:00Z' } });
    expect(res.statusCode).toBe(202);
    expect((await reader.query('pipeline', 'SELECT event_id FROM ingestion_outbox')).rows).toEqual([]);
    // Stopping writes what is still buffered before the clients close.
    await handle.stop();
    const { rows } = await reader.query('pipeline', 'SELECT event_id, published_at IS NOT NULL AS sent FROM ingestion_outbox');
    expect(rows).toEqual([{ event_id: 'st-1', sent: true }]);
  });
});
