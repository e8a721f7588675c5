-- A row the bus refuses for good (an event over Kafka's size limit) is set aside with its error
-- instead of stopping the relay for every org; a row that fails for now is retried, counted.

ALTER TABLE config_outbox
  ADD COLUMN attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN last_error text,
  ADD COLUMN set_aside_at timestamptz;

DROP INDEX config_outbox_pending;
CREATE INDEX config_outbox_pending ON config_outbox (id) WHERE published_at IS NULL AND set_aside_at IS NULL;
