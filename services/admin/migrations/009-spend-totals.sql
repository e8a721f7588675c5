-- What each org, user and key spent per UTC day and month. The ledger insert adds to these rows in
-- its own statement, so a budget's spend is one indexed read instead of a sum over the ledger.

CREATE TABLE spend_totals (
  org_id text NOT NULL,
  scope text NOT NULL CHECK (scope IN ('org', 'user', 'key')),
  -- The org id, user id or key id, as in budgets.subject_id.
  subject_id text NOT NULL,
  period text NOT NULL CHECK (period IN ('day', 'month')),
  -- The UTC start of the day or month.
  period_start timestamptz NOT NULL,
  -- US dollars: the sum of the ledger's cost_usd over the period, exactly.
  spent_usd numeric(30, 12) NOT NULL CHECK (spent_usd >= 0),
  PRIMARY KEY (org_id, scope, subject_id, period, period_start)
);

-- Backfill from the ledger as it stands: the same rows the ledger insert would have written.
INSERT INTO spend_totals (org_id, scope, subject_id, period, period_start, spent_usd)
SELECT l.org_id, s.scope, s.subject_id, p.period,
       date_trunc(p.period, l.started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', sum(l.cost_usd)
  FROM usage_ledger l
 CROSS JOIN (VALUES ('day'), ('month')) AS p (period)
 CROSS JOIN LATERAL (VALUES ('org', l.org_id), ('user', l.user_id), ('key', l.key_id)) AS s (scope, subject_id)
 WHERE s.subject_id IS NOT NULL
 GROUP BY 1, 2, 3, 4, 5;
