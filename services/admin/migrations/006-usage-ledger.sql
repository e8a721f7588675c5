-- One row per llm.usage.v1 event. The bus delivers at least once: the envelope's event id is the
-- key, and the consumer inserts with ON CONFLICT DO NOTHING, so a redelivery adds nothing.
-- org_id has no foreign key: usage is recorded even for an org deleted meanwhile.

CREATE TABLE usage_ledger (
  event_id text PRIMARY KEY,
  org_id text NOT NULL,
  request_id text NOT NULL,
  user_id text NOT NULL,
  key_id text,
  -- The alias the caller asked for.
  model text NOT NULL,
  deployment text NOT NULL,
  provider text NOT NULL,
  input_tokens bigint NOT NULL CHECK (input_tokens >= 0),
  output_tokens bigint NOT NULL CHECK (output_tokens >= 0),
  -- US dollars, as the router priced the request.
  cost_usd numeric(24, 12) NOT NULL CHECK (cost_usd >= 0),
  latency_ms double precision NOT NULL,
  ttft_ms double precision,
  status text NOT NULL,
  error_code text,
  attempts integer NOT NULL,
  stream boolean NOT NULL,
  started_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_ledger_org_started ON usage_ledger (org_id, started_at);
