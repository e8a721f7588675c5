-- Spending limits per org, user or key, in the llm-router's terms (amount per UTC day or month).

CREATE TABLE budgets (
  id text PRIMARY KEY,
  org_id text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  scope text NOT NULL CHECK (scope IN ('org', 'user', 'key')),
  -- The org id, user id or key id the budget applies to.
  subject_id text NOT NULL,
  -- US dollars per period.
  amount_usd numeric(20, 6) NOT NULL CHECK (amount_usd >= 0),
  period text NOT NULL CHECK (period IN ('day', 'month')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- One budget per subject: the router holds one per org, user and key.
  UNIQUE (org_id, scope, subject_id)
);
