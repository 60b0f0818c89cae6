-- Versioned per-tenant mapping configs and UDFs: every PUT inserts the next version, nothing is
-- updated in place, so an event can always say which version transformed it.
CREATE TABLE transform_mappings (
  tenant_id  text        NOT NULL,
  name       text        NOT NULL,
  version    integer     NOT NULL CHECK (version > 0),
  config     jsonb       NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, name, version)
);

CREATE TABLE transform_udfs (
  tenant_id  text        NOT NULL,
  name       text        NOT NULL,
  version    integer     NOT NULL CHECK (version > 0),
  source     text        NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, name, version)
);

-- Values attached to a tenant's events (plan tier, region, ...).
CREATE TABLE transform_enrichment (
  tenant_id  text        NOT NULL,
  field      text        NOT NULL,
  value      jsonb       NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, field)
);
