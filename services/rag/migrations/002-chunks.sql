-- Chunks: the searchable pieces of a vector store's files, written by the ingestion worker.
-- Every row carries org_id and every query filters on it.
--
-- One `vector` column holds every store's embeddings, whatever the model's dimension (an untyped
-- vector column accepts any). HNSW needs a fixed dimension, so each dimension gets its own partial
-- expression index (pgvector's documented way for mixed dimensions), and a query orders by the same
-- expression under the same `dims = N` predicate to use it. Above 2,000 dimensions (HNSW's limit
-- for `vector`) the index casts to halfvec. The dimensions common embedding models use are here;
-- the worker creates the index of any other dimension when a store first writes one
-- (search/vector-index.ts). HNSW parameters: m = 16, ef_construction = 64 (pgvector's defaults;
-- queries raise hnsw.ef_search, see search/search.ts).

-- A store's full-text language (Switchyard's extension): websearch_to_tsquery and to_tsvector use it.
ALTER TABLE vector_stores ADD COLUMN text_search_language regconfig NOT NULL DEFAULT 'english';

-- A worker holds a file while it ingests it; another takes it over only once the lease ran out
-- (the first one died), so a file is never lost with its worker and never ingested twice at once.
-- A transient failure (the router down) sets the lease to the retry time; attempts (claims so far)
-- doubles the delay each time.
ALTER TABLE vector_store_files ADD COLUMN lease_until timestamptz;
ALTER TABLE vector_store_files ADD COLUMN attempts integer NOT NULL DEFAULT 0;
CREATE INDEX vector_store_files_unfinished ON vector_store_files (updated_at) WHERE status = 'in_progress';
-- The sweeper finds the request (and who made it) of a file a dead worker left behind.
CREATE INDEX ingest_outbox_by_key ON ingest_outbox (event_key, id);

CREATE TABLE chunks (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id text NOT NULL,
  vector_store_id text COLLATE "C" NOT NULL,
  file_id text COLLATE "C" NOT NULL,
  -- 0-based position in the file.
  chunk_index integer NOT NULL CHECK (chunk_index >= 0),
  -- The chunk's span of the parsed text, as search returns it and citations quote it.
  text text NOT NULL,
  -- Titles of the headings the chunk sits under, outermost first (they prefix the embedded text).
  heading_path text[] NOT NULL DEFAULT '{}',
  -- UTF-16 offsets of `text` in the file's parsed text, end exclusive.
  char_start integer NOT NULL CHECK (char_start >= 0),
  char_end integer NOT NULL CHECK (char_end >= char_start),
  -- sha256 (hex) of what was embedded (heading path + text): an unchanged chunk keeps its vector.
  content_hash text NOT NULL,
  -- Tokens of the embedded text (o200k, as the llm-router counts).
  token_count integer NOT NULL CHECK (token_count >= 0),
  -- The file's attributes when the chunk was written; search filters read them here.
  attributes jsonb NOT NULL DEFAULT '{}',
  embedding vector NOT NULL,
  dims integer GENERATED ALWAYS AS (vector_dims(embedding)) STORED,
  -- The store's text_search_language, copied so the generated tsvector can use it.
  language regconfig NOT NULL DEFAULT 'english',
  tsv tsvector GENERATED ALWAYS AS (to_tsvector(language, text)) STORED,
  -- Detaching a file (or deleting it, or its store) removes its chunks.
  FOREIGN KEY (vector_store_id, file_id) REFERENCES vector_store_files (vector_store_id, file_id) ON DELETE CASCADE
);

-- The worker's upsert key; also the plain scan of one store's chunks when a filter is selective.
CREATE UNIQUE INDEX chunks_position ON chunks (vector_store_id, file_id, chunk_index);
-- Embeddings reused across a store's files by content (a re-uploaded file re-embeds only changes).
CREATE INDEX chunks_by_hash ON chunks (vector_store_id, content_hash);
CREATE INDEX chunks_tsv ON chunks USING gin (tsv);
CREATE INDEX chunks_attributes ON chunks USING gin (attributes jsonb_path_ops);

CREATE INDEX chunks_embedding_384 ON chunks USING hnsw ((embedding::vector(384)) vector_cosine_ops)
  WITH (m = 16, ef_construction = 64) WHERE dims = 384;
CREATE INDEX chunks_embedding_768 ON chunks USING hnsw ((embedding::vector(768)) vector_cosine_ops)
  WITH (m = 16, ef_construction = 64) WHERE dims = 768;
CREATE INDEX chunks_embedding_1024 ON chunks USING hnsw ((embedding::vector(1024)) vector_cosine_ops)
  WITH (m = 16, ef_construction = 64) WHERE dims = 1024;
CREATE INDEX chunks_embedding_1536 ON chunks USING hnsw ((embedding::vector(1536)) vector_cosine_ops)
  WITH (m = 16, ef_construction = 64) WHERE dims = 1536;
CREATE INDEX chunks_embedding_3072 ON chunks USING hnsw ((embedding::halfvec(3072)) halfvec_cosine_ops)
  WITH (m = 16, ef_construction = 64) WHERE dims = 3072;

-- A file's attributes changed (POST /v1/vector_stores/{id}/files/{file_id}): its chunks' copies,
-- which filters read, change in the same transaction.
CREATE FUNCTION chunks_follow_file_attributes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE chunks SET attributes = NEW.attributes
  WHERE org_id = NEW.org_id AND vector_store_id = NEW.vector_store_id AND file_id = NEW.file_id;
  RETURN NULL;
END
$$;
CREATE TRIGGER chunks_follow_file_attributes
  AFTER UPDATE OF attributes ON vector_store_files
  FOR EACH ROW WHEN (OLD.attributes IS DISTINCT FROM NEW.attributes)
  EXECUTE FUNCTION chunks_follow_file_attributes();
