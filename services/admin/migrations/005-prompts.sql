-- Prompts: a name, immutable numbered versions, and movable labels (production, staging, ...).

CREATE TABLE prompts (
  id text PRIMARY KEY,
  org_id text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name),
  -- Target of the (id, org_id) foreign keys below: a version or label can never sit in another
  -- org than its prompt.
  UNIQUE (id, org_id)
);

CREATE TABLE prompt_versions (
  prompt_id text NOT NULL,
  org_id text NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  template text NOT NULL,
  variables text[] NOT NULL DEFAULT '{}',
  model_config jsonb NOT NULL DEFAULT '{}',
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (prompt_id, version),
  FOREIGN KEY (prompt_id, org_id) REFERENCES prompts (id, org_id) ON DELETE CASCADE
);

-- A version, once written, is history: what ran in production must stay readable as it was.
-- The repository has no UPDATE; this makes the database refuse one from anywhere else too.
CREATE FUNCTION prompt_versions_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'prompt versions are immutable; create a new version instead'
    USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER prompt_versions_immutable BEFORE UPDATE ON prompt_versions
  FOR EACH ROW EXECUTE FUNCTION prompt_versions_refuse_update();

CREATE TABLE prompt_labels (
  prompt_id text NOT NULL,
  org_id text NOT NULL,
  label text NOT NULL,
  version integer NOT NULL,
  updated_by text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (prompt_id, label),
  FOREIGN KEY (prompt_id, org_id) REFERENCES prompts (id, org_id) ON DELETE CASCADE,
  FOREIGN KEY (prompt_id, version) REFERENCES prompt_versions (prompt_id, version) ON DELETE CASCADE
);
