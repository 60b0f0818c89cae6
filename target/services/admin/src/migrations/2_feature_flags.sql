CREATE TABLE feature_flags (
  key             text PRIMARY KEY,
  description     text NOT NULL DEFAULT '',
  enabled         boolean NOT NULL,
  rollout_percent integer NOT NULL DEFAULT 0 CHECK (rollout_percent BETWEEN 0 AND 100),
  updated_at      timestamptz NOT NULL
);

CREATE TABLE flag_overrides (
  flag_key  text NOT NULL REFERENCES feature_flags (key) ON DELETE CASCADE,
  tenant_id text NOT NULL,
  enabled   boolean NOT NULL,
  PRIMARY KEY (flag_key, tenant_id)
);
