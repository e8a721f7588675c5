-- Every change made through admin, written in the same transaction as the change itself.

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  org_id text NOT NULL,
  actor_user_id text,
  actor_key_id text,
  -- `<resource>.<verb>`, e.g. key.create, prompt.label.move.
  action text NOT NULL,
  target_type text NOT NULL,
  target_id text,
  details jsonb NOT NULL DEFAULT '{}',
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_org_id ON audit_log (org_id, id DESC);

-- Append-only: an audit trail that can be edited proves nothing.
CREATE FUNCTION audit_log_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_update();
