-- The agent's org-defined tools: HTTP tools, MCP servers and the http_fetch allow-list. Every row
-- carries org_id and every query filters on it. Secrets are never stored: a row names a secret
-- of the deployment's AGENT_TOOL_SECRETS, resolved when the tool is called. Numbered 050 so the
-- agent's own migrations keep the low numbers.

CREATE TABLE agent_http_tools (
  id text COLLATE "C" PRIMARY KEY,
  org_id text NOT NULL,
  created_by text NOT NULL,
  -- The function name the model sees (OpenAI's ^[a-zA-Z0-9_-]{1,64}$).
  name text NOT NULL,
  description text NOT NULL,
  -- The arguments' JSON schema, compiled by ajv before the row is written.
  parameters jsonb NOT NULL,
  url text NOT NULL,
  method text NOT NULL CHECK (method IN ('GET', 'POST')),
  -- {"name","header","prefix"}: which secret goes in which header, or null.
  secret jsonb,
  needs_approval boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);
CREATE INDEX agent_http_tools_by_org ON agent_http_tools (org_id, id);

CREATE TABLE agent_mcp_servers (
  id text COLLATE "C" PRIMARY KEY,
  org_id text NOT NULL,
  created_by text NOT NULL,
  -- Prefixes the server's tool names (`<name>__<tool>`), so two servers' tools never clash.
  name text NOT NULL,
  url text NOT NULL,
  secret jsonb,
  -- true or false for every tool of the server, or a JSON array of the tool names that need it.
  needs_approval jsonb NOT NULL DEFAULT 'false',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);
CREATE INDEX agent_mcp_servers_by_org ON agent_mcp_servers (org_id, id);

-- One row per org that set one: `scheme://host[:port]` entries http_fetch may reach.
CREATE TABLE agent_fetch_allow_lists (
  org_id text PRIMARY KEY,
  entries jsonb NOT NULL,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
