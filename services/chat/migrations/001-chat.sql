-- Chat history on PostgreSQL: the one-process shape (PGlite) and small installs. A single chat
-- service with Cassandra does not use these tables.
CREATE TABLE chat_conversations (
  id uuid PRIMARY KEY,
  org_id text NOT NULL,
  user_id text NOT NULL,
  title text NOT NULL,
  model text NOT NULL,
  system_prompt text,
  prompt_ref text,
  active_leaf_id uuid,
  bucket_ms bigint NOT NULL,
  created_at timestamptz NOT NULL,
  last_activity_at timestamptz NOT NULL
);

-- A user's conversations by last activity, newest first (the list and its cursor).
CREATE INDEX chat_conversations_by_owner
  ON chat_conversations (org_id, user_id, last_activity_at DESC, id DESC);

CREATE TABLE chat_messages (
  conversation_id uuid NOT NULL REFERENCES chat_conversations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  -- The time id's 60-bit timestamp: uuid columns do not sort by time, this does.
  ts bigint NOT NULL,
  parent_id uuid,
  role text NOT NULL,
  content text NOT NULL,
  status text NOT NULL,
  model text,
  input_tokens integer,
  output_tokens integer,
  finish_reason text,
  error_code text,
  PRIMARY KEY (conversation_id, id)
);

CREATE INDEX chat_messages_newest_first ON chat_messages (conversation_id, ts DESC, id DESC);
