-- API keys. Only the SHA-256 digest of the secret is stored; the key id is public.
CREATE TABLE api_keys (
  id            text PRIMARY KEY,
  tenant_id     text NOT NULL,
  name          text NOT NULL,
  secret_digest bytea NOT NULL CHECK (octet_length(secret_digest) = 32),
  role          text NOT NULL,
  scopes        text[] NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL,
  revoked_at    timestamptz,
  rotated_from  text REFERENCES api_keys (id)
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at);
-- A key can be replaced by at most one rotation.
CREATE UNIQUE INDEX api_keys_rotated_from_idx ON api_keys (rotated_from) WHERE rotated_from IS NOT NULL;
