-- Rollups of every tenant at every resolution: the windows aggregate emits ('1m', as emitted) and
-- their hourly and daily downsamples ('1h', '1d'). Range-partitioned by day on window_start;
-- partitions.js creates each day's partition when the first window of that day arrives.
CREATE TABLE store_rollups (
  tenant_id text NOT NULL,
  rollup_id text NOT NULL,
  series_key text NOT NULL,
  resolution text NOT NULL CHECK (resolution IN ('1m', '1h', '1d')),
  window_kind text NOT NULL,
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
  revision integer NOT NULL,
  count bigint NOT NULL,
  sum double precision NOT NULL,
  min double precision,
  max double precision,
  mean double precision,
  variance double precision,
  histogram jsonb,
  event_id text NOT NULL,
  written_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, rollup_id, series_key, resolution, window_start)
) PARTITION BY RANGE (window_start);

-- Range reads: one rollup of one tenant at one resolution between two instants, any series.
CREATE INDEX store_rollups_range_idx ON store_rollups (tenant_id, rollup_id, resolution, window_start);

-- Buckets (hours, days) whose downsample is out of date. `generation` grows with each window
-- written into the bucket, so a bucket written to while it is being recomputed stays pending.
CREATE TABLE store_downsample_pending (
  tenant_id text NOT NULL,
  rollup_id text NOT NULL,
  series_key text NOT NULL,
  resolution text NOT NULL,
  bucket_start timestamptz NOT NULL,
  generation bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, rollup_id, series_key, resolution, bucket_start)
);

CREATE TABLE store_retention (
  tenant_id text PRIMARY KEY,
  days integer NOT NULL CHECK (days > 0),
  updated_at timestamptz NOT NULL
);
