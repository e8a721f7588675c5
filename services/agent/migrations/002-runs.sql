-- Runs of agents and their steps. A run's state (transcript, turns, tokens, pending approvals) is
-- written at every step, so any replica can resume it after an approval or a restart. Every row
-- carries org_id and every query filters on it. Finished runs are deleted after
-- AGENT_RUN_RETENTION (their steps with them).

CREATE TABLE runs (
  id text COLLATE "C" PRIMARY KEY,
  org_id text NOT NULL,
  user_id text NOT NULL,
  -- The caller as the gateway identified them: the run's model calls carry it (worker tokens).
  identity jsonb NOT NULL,
  agent_id text NOT NULL,
  -- The agent as it was when the run started, instructions resolved: a later change does not move it.
  agent jsonb NOT NULL,
  -- A follow-up continues this run's conversation.
  thread_id text COLLATE "C",
  -- queued | running | awaiting_approval | succeeded | failed | cancelled (contracts' AgentRunStatus).
  status text NOT NULL,
  -- The supervisor's decision (stage, scores, reason), null when the caller named the agent.
  route jsonb,
  -- The conversation in OpenAI's message shape, system prompt first.
  messages jsonb NOT NULL,
  -- Tool calls of the last turn waiting for a human, each with its decision once given.
  pending jsonb NOT NULL DEFAULT '[]',
  turns integer NOT NULL DEFAULT 0,
  input_tokens integer NOT NULL DEFAULT 0,
  output_tokens integer NOT NULL DEFAULT 0,
  -- Wall time spent running, paused time excluded, milliseconds.
  elapsed_ms bigint NOT NULL DEFAULT 0,
  output text,
  -- {"code","message","type"} of a failed run.
  error jsonb,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX runs_by_org ON runs (org_id, id);
CREATE INDEX runs_finished ON runs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE run_steps (
  run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  org_id text NOT NULL,
  seq integer NOT NULL,
  -- model | tool
  type text NOT NULL,
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (run_id, seq)
);
