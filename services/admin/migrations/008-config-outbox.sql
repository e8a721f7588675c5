-- admin.config.v1 events, written in the transaction of the change they announce and published
-- after it commits (then again by the relay if the publish failed or the process died first), so
-- a committed change, a key revocation above all, is never left unannounced.

-- The event version is monotonic per (kind, org); '' stands for platform-wide (routes, prices).
CREATE TABLE config_versions (
  kind text NOT NULL,
  scope text NOT NULL,
  version bigint NOT NULL,
  PRIMARY KEY (kind, scope)
);

CREATE TABLE config_outbox (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  org_id text,
  version bigint NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX config_outbox_pending ON config_outbox (id) WHERE published_at IS NULL;
