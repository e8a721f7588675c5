-- Files, vector stores, the files attached to them, and batches of attachments (OpenAI's
-- vocabulary). Every row carries org_id and every query filters on it. Ids are the public ones
-- (`file-…`, `vs_…`, `vsfb_…`), time-ordered base62: COLLATE "C" makes text order byte order, so
-- `ORDER BY id` is creation order and an `after`/`before` cursor is a plain comparison.
-- The chunks table is the ingestion pipeline's own migration.

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE files (
  id text COLLATE "C" PRIMARY KEY,
  org_id text NOT NULL,
  created_by text NOT NULL,
  filename text NOT NULL,
  purpose text NOT NULL,
  bytes bigint NOT NULL CHECK (bytes >= 0),
  -- As the uploader declared it; the parsers decide from the bytes and the filename too.
  content_type text NOT NULL,
  sha256 text NOT NULL,
  -- Where the original is in the object store (org-scoped: `<org_id>/files/<id>`).
  object_key text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_by_org ON files (org_id, id);

CREATE TABLE vector_stores (
  id text COLLATE "C" PRIMARY KEY,
  org_id text NOT NULL,
  created_by text NOT NULL,
  name text,
  metadata jsonb NOT NULL DEFAULT '{}',
  -- An llm-router alias; fixed once the store holds a file (vectors of two models do not compare).
  embedding_model text NOT NULL,
  -- The store's chunking for files attached without their own:
  -- {"type":"static","static":{"max_chunk_size_tokens":800,"chunk_overlap_tokens":400}}.
  chunking_strategy jsonb NOT NULL,
  -- {"anchor":"last_active_at","days":N} or null; expires_at follows from it and last_active_at.
  expires_after jsonb,
  expires_at timestamptz,
  last_active_at timestamptz NOT NULL DEFAULT now(),
  -- Who may use the store (Switchyard's extension): null, the whole org; a list, those users of
  -- the org only (the creator is always on it). Everyone else gets a 404, as for another org.
  access_user_ids text[],
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vector_stores_by_org ON vector_stores (org_id, id);

CREATE TABLE file_batches (
  id text COLLATE "C" PRIMARY KEY,
  org_id text NOT NULL,
  vector_store_id text COLLATE "C" NOT NULL REFERENCES vector_stores (id) ON DELETE CASCADE,
  created_by text NOT NULL,
  -- Set by cancel: its files still in progress became cancelled at that moment.
  cancelled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX file_batches_by_store ON file_batches (vector_store_id, id);

-- A file attached to a vector store. Its public id is the file's id (as OpenAI's
-- vector_store.file). The ingestion worker moves status on; the API only reads it, except that
-- attaching again and cancelling write it too.
CREATE TABLE vector_store_files (
  org_id text NOT NULL,
  vector_store_id text COLLATE "C" NOT NULL REFERENCES vector_stores (id) ON DELETE CASCADE,
  file_id text COLLATE "C" NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  -- The batch that attached it last, if any.
  batch_id text COLLATE "C" REFERENCES file_batches (id) ON DELETE SET NULL,
  -- Order of attachment, for listing (a file re-attached keeps its place).
  seq bigserial NOT NULL,
  status text NOT NULL CHECK (status IN ('in_progress', 'completed', 'failed', 'cancelled')),
  -- {"code":"...","message":"..."} when failed, else null.
  last_error jsonb,
  -- Up to 16 keys, string/number/boolean values; search filters read them.
  attributes jsonb NOT NULL DEFAULT '{}',
  -- The chunking this file is (to be) chunked with, as in vector_stores.chunking_strategy.
  chunking_strategy jsonb NOT NULL,
  -- Bumped by every new ingestion request (attach again, rechunk): the rag.ingest.v1 event
  -- carries it, and a worker writes only while the row still has the generation it was sent,
  -- so a stale or cancelled run cannot overwrite a newer state.
  generation integer NOT NULL DEFAULT 1,
  chunks_done integer NOT NULL DEFAULT 0,
  chunks_total integer,
  -- Bytes of the stored chunks' text and vectors, once completed (OpenAI's usage_bytes).
  usage_bytes bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (vector_store_id, file_id)
);
CREATE UNIQUE INDEX vector_store_files_order ON vector_store_files (vector_store_id, seq);
CREATE INDEX vector_store_files_by_file ON vector_store_files (file_id);
CREATE INDEX vector_store_files_by_batch ON vector_store_files (batch_id) WHERE batch_id IS NOT NULL;

-- rag.ingest.v1 events, written in the transaction that attaches the file and published after it
-- commits (then again by the relay if the publish failed or the process died first): a file is
-- never left in_progress with no worker told about it.
CREATE TABLE ingest_outbox (
  id bigserial PRIMARY KEY,
  org_id text NOT NULL,
  event_key text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX ingest_outbox_pending ON ingest_outbox (id) WHERE published_at IS NULL;
