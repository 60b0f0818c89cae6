CREATE TABLE users (
  id            text PRIMARY KEY,
  tenant_id     text NOT NULL,
  email         text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  role          text NOT NULL,
  created_at    timestamptz NOT NULL
);
CREATE INDEX users_tenant_idx ON users (tenant_id);

CREATE TABLE teams (
  id         text PRIMARY KEY,
  tenant_id  text NOT NULL,
  name       text NOT NULL,
  created_at timestamptz NOT NULL,
  UNIQUE (tenant_id, name)
);

CREATE TABLE team_members (
  team_id  text NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  user_id  text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role     text NOT NULL CHECK (role IN ('viewer', 'member', 'admin')),
  added_at timestamptz NOT NULL,
  PRIMARY KEY (team_id, user_id)
);
