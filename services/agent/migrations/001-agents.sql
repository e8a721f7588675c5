-- Agents an org defined through the API (the deployment's built-in agents come from a YAML file
-- and are not stored). Every row carries org_id and every query filters on it. Ids are
-- time-ordered (`agent_…`): COLLATE "C" makes `ORDER BY id` creation order.

CREATE TABLE agents (
  id text COLLATE "C" PRIMARY KEY,
  org_id text NOT NULL,
  created_by text NOT NULL,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  -- {"text": "..."} or {"prompt": "name@label"} (resolved from admin when a run starts).
  instructions jsonb NOT NULL,
  model text NOT NULL,
  -- Tool names, checked against the org's tool sources when written.
  tools jsonb NOT NULL DEFAULT '[]',
  -- {"max_turns","max_total_tokens","max_wall_time_ms","tool_timeout_ms"}.
  limits jsonb NOT NULL,
  -- A JSON schema the final answer must match (compiled by ajv when written), or null.
  output_schema jsonb,
  -- Utterances the supervisor's embedding stage compares a message with.
  examples jsonb NOT NULL DEFAULT '[]',
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);
CREATE INDEX agents_by_org ON agents (org_id, id);
