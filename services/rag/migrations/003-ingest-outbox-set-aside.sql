-- The shared outbox relay (@switchyard/events) sets aside a row the bus refuses for good (its
-- schema, its size) with its error, instead of stopping every later file's ingestion behind it.

ALTER TABLE ingest_outbox
  ADD COLUMN attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN last_error text,
  ADD COLUMN set_aside_at timestamptz;

DROP INDEX ingest_outbox_pending;
CREATE INDEX ingest_outbox_pending ON ingest_outbox (id) WHERE published_at IS NULL AND set_aside_at IS NULL;
