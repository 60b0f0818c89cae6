CREATE TABLE admin_audit_log (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL,
  actor     text NOT NULL,
  action    text NOT NULL,
  tenant_id text,
  details   jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX admin_audit_tenant_idx ON admin_audit_log (tenant_id, id);

-- Transactional outbox of tenant lifecycle events (see src/outbox.js).
CREATE TABLE admin_outbox (
  seq          bigserial PRIMARY KEY,
  event_id     text NOT NULL UNIQUE,
  type         text NOT NULL,
  envelope     jsonb NOT NULL,
  created_at   timestamptz NOT NULL,
  published_at timestamptz
);
CREATE INDEX admin_outbox_pending_idx ON admin_outbox (seq) WHERE published_at IS NULL;
