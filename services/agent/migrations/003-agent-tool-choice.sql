-- What a model turn answering a message must do with the agent's tools: auto | required | none |
-- a tool's name (a turn after a tool result is always auto). Small local models need `required`.
ALTER TABLE agents ADD COLUMN tool_choice text NOT NULL DEFAULT 'auto';
