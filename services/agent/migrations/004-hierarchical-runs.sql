-- Hierarchical runs: an agent that names delegates plans, and each step of its plan runs as a
-- child run of another agent, with its own row, steps and event log. A child carries its parent's
-- org_id (every query still filters on it) and goes when its parent goes.

-- Names of the org's agents (or built-ins) a planner may delegate steps to; checked when written.
ALTER TABLE agents ADD COLUMN delegates jsonb NOT NULL DEFAULT '[]';

-- The planner's run this one is a step of, or null for a run someone started.
ALTER TABLE runs ADD COLUMN parent_run_id text COLLATE "C" REFERENCES runs (id) ON DELETE CASCADE;
-- A planner's progress: the delegates as they were at the start, the plan's steps with their child
-- runs and outcomes, and the phase (plan, steps, review); null for a run of an agent without delegates.
ALTER TABLE runs ADD COLUMN plan jsonb;
CREATE INDEX runs_by_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
