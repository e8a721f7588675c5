-- The model catalog: aliases callers name, the deployments behind them, and prices with effective
-- dates. It is platform-wide, as the llm-router that reads it serves every org: no org_id here.
-- Only the operator org's owners and admins change it (see src/access/).

CREATE TABLE models (
  alias text PRIMARY KEY,
  description text,
  strategy text NOT NULL DEFAULT 'weighted-round-robin'
    CHECK (strategy IN ('weighted-round-robin', 'least-in-flight', 'lowest-latency')),
  listed boolean NOT NULL DEFAULT true,
  fallbacks text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE model_deployments (
  -- Unique in the whole catalog, as the router names deployments in metrics and headers.
  id text PRIMARY KEY,
  alias text NOT NULL REFERENCES models (alias) ON DELETE CASCADE,
  provider text NOT NULL,
  base_url text,
  upstream_model text NOT NULL,
  weight integer NOT NULL DEFAULT 1 CHECK (weight >= 0),
  max_concurrency integer CHECK (max_concurrency >= 1),
  -- A mounted secret's path; secrets themselves never enter this database.
  api_key_file text,
  options jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX model_deployments_alias ON model_deployments (alias);

-- The price in force at time t is the row with the latest effective_from <= t.
CREATE TABLE model_prices (
  id bigserial PRIMARY KEY,
  alias text NOT NULL REFERENCES models (alias) ON DELETE CASCADE,
  -- US dollars per million tokens.
  input_per_million numeric(20, 10) NOT NULL CHECK (input_per_million >= 0),
  output_per_million numeric(20, 10) NOT NULL CHECK (output_per_million >= 0),
  effective_from timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (alias, effective_from)
);
