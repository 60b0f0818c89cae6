-- Tenant status as last announced by admin's lifecycle events; no row means active.
CREATE TABLE tenant_states (
  tenant_id  text PRIMARY KEY,
  status     text NOT NULL CHECK (status IN ('active', 'suspended', 'deleted')),
  changed_at timestamptz NOT NULL
);

-- Event ids already applied by auth's consumers (idempotent consumption).
CREATE TABLE IF NOT EXISTS auth_processed_messages (
  consumer     text NOT NULL,
  message_id   text NOT NULL,
  processed_at timestamptz NOT NULL,
  PRIMARY KEY (consumer, message_id)
);
