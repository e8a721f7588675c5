-- API keys. The secret is shown once, at creation; only its SHA-256 is kept (keys are 238 random
-- bits, so a slow hash would add nothing but latency to every resolve).

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  org_id text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- Public start of the key (`sy_AbCd1234`), shown in lists so people can tell keys apart.
  prefix text NOT NULL,
  -- Hex SHA-256 of the whole key: what resolve looks a presented key up by.
  secret_hash text NOT NULL,
  scopes text[] NOT NULL DEFAULT '{}',
  expires_at timestamptz,
  -- Written at most once a minute per key by resolve.
  last_used_at timestamptz,
  revoked_at timestamptz,
  -- On a key made by rotation: the key it replaced.
  rotated_from text REFERENCES api_keys (id) ON DELETE SET NULL,
  -- On a rotated (old) key: it keeps resolving until then.
  grace_until timestamptz,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX api_keys_secret_hash ON api_keys (secret_hash);
CREATE UNIQUE INDEX api_keys_prefix ON api_keys (prefix);
CREATE INDEX api_keys_org_user ON api_keys (org_id, user_id);
