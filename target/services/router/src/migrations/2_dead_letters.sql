-- Events the router could not deliver: unroutable (no topic, no matching subscription), invalid,
-- or one subscriber's copy that could not be published. '' stands for "no subscription" so the
-- unique key also holds for those, and a redelivered event is dead-lettered once.
CREATE TABLE router_dead_letters (
  id              bigserial PRIMARY KEY,
  tenant_id       text NOT NULL,
  event_id        text NOT NULL,
  subscription_id text NOT NULL DEFAULT '',
  reason          text NOT NULL,
  detail          text NOT NULL DEFAULT '',
  envelope        jsonb NOT NULL,
  created_at      timestamptz NOT NULL,
  replayed_at     timestamptz,
  UNIQUE (event_id, subscription_id, reason)
);

CREATE INDEX router_dead_letters_tenant_idx ON router_dead_letters (tenant_id, id) WHERE replayed_at IS NULL;
