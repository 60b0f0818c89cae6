-- Session-token signing keys, shared by every auth instance. Public keys of retired keys stay
-- so tokens signed before a key change still verify until they expire.
CREATE TABLE signing_keys (
  kid         text PRIMARY KEY,
  algorithm   text NOT NULL CHECK (algorithm = 'RS256'),
  private_pem text NOT NULL,
  public_pem  text NOT NULL,
  created_at  timestamptz NOT NULL,
  retired_at  timestamptz
);
