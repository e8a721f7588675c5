-- Leases of running runs. The replica running a run's loop holds its lease and renews it; a run
-- still `running` whose lease ran out (its replica died mid-turn) is claimed under a row lock by
-- another replica's sweep, which resumes it from its saved state. A planner's children run inside
-- its loop: only runs without a parent are claimed, their children move with them.

ALTER TABLE runs ADD COLUMN lease_owner text;
ALTER TABLE runs ADD COLUMN lease_expires_at timestamptz;
CREATE INDEX runs_running_leases ON runs (lease_expires_at) WHERE status = 'running' AND parent_run_id IS NULL;
