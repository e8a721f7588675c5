-- Tenants, people and who may do what where.

CREATE TABLE orgs (
  id text PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- The platform operator's org (the one bootstrap creates): its owners and admins manage the
  -- platform-wide model catalog and create other orgs. At most one.
  is_operator boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Soft delete: a deleted org's keys stop resolving and its members lose access; its ledger and
  -- audit log stay for accounting.
  deleted_at timestamptz
);
CREATE UNIQUE INDEX orgs_one_operator ON orgs ((true)) WHERE is_operator;

-- A person may belong to several orgs, so users carry no org_id: every query reaches them through
-- memberships, filtered by org_id.
CREATE TABLE users (
  id text PRIMARY KEY,
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
  name text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE memberships (
  org_id text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);
