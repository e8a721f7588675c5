-- A conversation answered by an agent (or agent's supervisor, `auto`) instead of a model, and the
-- agent run that wrote each of its answers.
ALTER TABLE chat_conversations ALTER COLUMN model DROP NOT NULL;
ALTER TABLE chat_conversations ADD COLUMN agent text;
ALTER TABLE chat_messages ADD COLUMN run_id text;
