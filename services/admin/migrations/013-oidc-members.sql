-- OIDC sign-ins are checked against memberships: the IdP's subject (the token's `sub`) is linked
-- to one membership per org, and an org may let a first sign-in make that membership
-- (provisioning, off by default) with a role from the token's role claims or a default role.

ALTER TABLE memberships ADD COLUMN oidc_subject text;
CREATE UNIQUE INDEX memberships_oidc_subject ON memberships (org_id, oidc_subject)
  WHERE oidc_subject IS NOT NULL;

CREATE TABLE org_oidc_settings (
  org_id text PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
  provisioning boolean NOT NULL DEFAULT false,
  -- Never owner: an IdP claim must not make someone who can delete the org.
  default_role text NOT NULL DEFAULT 'member' CHECK (default_role IN ('admin', 'member', 'viewer')),
  -- IdP role -> admin role, e.g. {"platform-admins": "admin"}; the highest match wins.
  role_claims jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A member removed by an admin must not come back by signing in again while provisioning is on:
-- their subject is remembered until an admin adds them again (by email, linked on sign-in).
CREATE TABLE oidc_removed_subjects (
  org_id text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  subject text NOT NULL,
  removed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, subject)
);
