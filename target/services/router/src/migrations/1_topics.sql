CREATE TABLE router_topics (
  tenant_id   text NOT NULL,
  name        text NOT NULL,
  description text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, name)
);

CREATE TABLE router_subscriptions (
  id         text PRIMARY KEY,
  -- creation order: subscriptions are listed and served in it
  seq        bigserial NOT NULL,
  tenant_id  text NOT NULL,
  topic      text NOT NULL,
  pattern    text NOT NULL,
  ordered    boolean NOT NULL DEFAULT false,
  key_field  text,
  created_at timestamptz NOT NULL,
  FOREIGN KEY (tenant_id, topic) REFERENCES router_topics (tenant_id, name) ON DELETE CASCADE
);

CREATE INDEX router_subscriptions_tenant_idx ON router_subscriptions (tenant_id, seq);
