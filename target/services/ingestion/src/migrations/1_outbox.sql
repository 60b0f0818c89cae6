-- Accepted events, written once per (tenant, event id) and relayed to RabbitMQ as
-- ingestion.record (see src/outbox.js). A client that retries a request sends the same event ids:
-- the unique key makes the retry a no-op instead of a duplicate.
CREATE TABLE ingestion_outbox (
  seq          bigserial PRIMARY KEY,
  tenant_id    text NOT NULL,
  event_id     text NOT NULL,
  batch_id     text NOT NULL,
  envelope     jsonb NOT NULL,
  created_at   timestamptz NOT NULL,
  published_at timestamptz,
  UNIQUE (tenant_id, event_id)
);
CREATE INDEX ingestion_outbox_pending_idx ON ingestion_outbox (seq) WHERE published_at IS NULL;
