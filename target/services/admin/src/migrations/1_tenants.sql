CREATE TABLE tenants (
  id           text PRIMARY KEY,
  name         text NOT NULL,
  plan         text NOT NULL CHECK (plan IN ('free', 'pro', 'enterprise')),
  status       text NOT NULL CHECK (status IN ('active', 'suspended', 'deleted', 'purged')),
  legal_hold   boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL,
  suspended_at timestamptz,
  deleted_at   timestamptz,
  purge_after  timestamptz
);
CREATE INDEX tenants_purge_idx ON tenants (purge_after) WHERE status = 'deleted';

CREATE TABLE tenant_quotas (
  tenant_id   text NOT NULL REFERENCES tenants (id),
  name        text NOT NULL,
  quota_limit bigint NOT NULL CHECK (quota_limit >= 0),
  PRIMARY KEY (tenant_id, name)
);

CREATE TABLE tenant_usage (
  tenant_id text NOT NULL REFERENCES tenants (id),
  name      text NOT NULL,
  used      bigint NOT NULL CHECK (used >= 0),
  PRIMARY KEY (tenant_id, name)
);
