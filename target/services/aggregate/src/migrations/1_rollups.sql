CREATE TABLE aggregate_rollups (
  tenant_id           text NOT NULL,
  rollup_id           text NOT NULL,
  topic               text NOT NULL,
  event_name          text NOT NULL,
  field               text NOT NULL,
  group_by            text[] NOT NULL,
  window_kind         text NOT NULL,
  size_ms             bigint,
  advance_ms          bigint,
  gap_ms              bigint,
  allowed_lateness_ms bigint NOT NULL DEFAULT 0,
  functions           text[] NOT NULL,
  bounds              double precision[],
  created_at          timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, rollup_id)
);
