// One file's ingestion: claim it, read its original, parse, chunk, embed what changed, write the
// chunks, and move its status on. Every write is guarded by the row's generation, so a run that a
// newer request overtook (attached again, rechunked, cancelled) stops without changing anything.
import type { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import type { Identity } from '@switchyard/contracts'
import { ragDocumentsV1 } from '@switchyard/contracts'
import type { EventBus } from '@switchyard/events'
import type { SqlPool } from '@switchyard/kit'
import { toSql } from 'pgvector'
import type { Logger } from 'pino'
import { ensureVectorIndex } from '../search/vector-index.ts'
import { type Chunk, type ChunkingStrategy, type CountTokens, chunkDocument } from './chunk.ts'
import { type Embedder, isTransient } from './embed.ts'
import { documentType, ParseFailure, parseDocument } from './parse/index.ts'

/** What ingestion reads originals from: the object store port (ctx.objects). */
export interface OriginalStore {
  /** The object's bytes; rejects with an error named ObjectNotFoundError when there is none. */
  get(key: string): Promise<Readable>
}

export interface IngestDeps {
  sql: SqlPool
  bus: EventBus
  objects: OriginalStore
  embedder: Embedder
  /**
   * Mints an internal token for the identity that asked for the ingestion: the worker runs after
   * that request ended, and the router must bill and limit the embeddings to it.
   */
  sign(identity: Identity): Promise<string>
  countTokens: () => Promise<CountTokens>
  logger: Logger
  /** Epoch milliseconds; leases and retries are timed with it. */
  now: () => number
  /** How long a claim holds a file; renewed after every batch. */
  leaseMs: number
  /** Inputs per embeddings request. */
  batchSize: number
  /** Delay before the n-th retry of a transient failure: min(base * 2^(n-1), max). */
  retryBaseMs: number
  retryMaxMs: number
}

/** What to ingest: the payload of rag.ingest.v1, with the identity embeddings are made for. */
export interface IngestRequest {
  orgId: string
  vectorStoreId: string
  fileId: string
  generation: number
  identity: Identity
}

export type IngestOutcome =
  | { status: 'completed'; chunks: number; embedded: number }
  | { status: 'failed'; code: string; message: string }
  /** Not ours to do: finished, overtaken by a newer generation, or held by another worker. */
  | { status: 'skipped' }
  /** A transient failure: the file stays in_progress and is tried again after `retryAt`. */
  | { status: 'retrying'; retryAt: number; message: string }

/** A newer request took the file over while this run worked on it. */
class Overtaken extends Error {}

interface Source {
  strategy: ChunkingStrategy
  attempts: number
  filename: string
  contentType: string
  objectKey: string
  embeddingModel: string
  language: string
  attributes: Record<string, unknown>
}

export async function ingestFile(deps: IngestDeps, request: IngestRequest): Promise<IngestOutcome> {
  const source = await claim(deps, request)
  if (source === null) return { status: 'skipped' }
  try {
    return await settle(deps, request, source)
  } catch (error) {
    if (!(error instanceof Overtaken)) throw error
    await release(deps, request)
    return { status: 'skipped' }
  }
}

/** Runs the claimed file; a parse failure or a permanent error ends it failed, a transient one schedules a retry. */
async function settle(deps: IngestDeps, request: IngestRequest, source: Source): Promise<IngestOutcome> {
  try {
    return await run(deps, request, source)
  } catch (error) {
    if (error instanceof Overtaken) throw error
    if (error instanceof ParseFailure) {
      await finish(deps, request, 'failed', { code: error.code, message: error.message })
      return { status: 'failed', code: error.code, message: error.message }
    }
    const message = error instanceof Error ? error.message : String(error)
    if (!isTransient(error)) {
      deps.logger.error({ err: error, fileId: request.fileId }, 'ingestion failed')
      await finish(deps, request, 'failed', { code: 'server_error', message })
      return { status: 'failed', code: 'server_error', message }
    }
    const delay = Math.min(deps.retryBaseMs * 2 ** (source.attempts - 1), deps.retryMaxMs)
    const retryAt = deps.now() + delay
    // The lease becomes the retry timer: the sweeper takes the file again once it runs out.
    const { rowCount } = await deps.sql.query(
      `UPDATE vector_store_files SET lease_until = $5
       WHERE org_id = $1 AND vector_store_id = $2 AND file_id = $3 AND generation = $4 AND status = 'in_progress'`,
      [request.orgId, request.vectorStoreId, request.fileId, request.generation, new Date(retryAt)],
    )
    if (rowCount === 0) throw new Overtaken()
    deps.logger.warn(
      { err: error, fileId: request.fileId, retryAt: new Date(retryAt) },
      'ingestion will be retried',
    )
    return { status: 'retrying', retryAt, message }
  }
}

async function run(deps: IngestDeps, request: IngestRequest, source: Source): Promise<IngestOutcome> {
  const { sql } = deps
  const keys = [request.orgId, request.vectorStoreId, request.fileId]
  const bytes = new Uint8Array(await buffer(await deps.objects.get(source.objectKey)))
  const doc = await parseDocument(bytes, documentType(source.filename, source.contentType))
  const chunks = chunkDocument(doc, source.strategy, await deps.countTokens())

  // What a previous run (this file's, before a crash or a re-chunk) already stored stays.
  const stored = new Map<number, string>()
  const existing = await sql.query<{ chunk_index: number; content_hash: string }>(
    'SELECT chunk_index, content_hash FROM chunks WHERE org_id = $1 AND vector_store_id = $2 AND file_id = $3',
    keys,
  )
  for (const row of existing.rows) stored.set(row.chunk_index, row.content_hash)
  const todo = chunks.filter((chunk) => stored.get(chunk.index) !== chunk.hash)
  let done = chunks.length - todo.length
  await progress(deps, request, done, chunks.length)

  // Embeddings of identical text anywhere in the store are reused: a re-uploaded file with one
  // paragraph changed re-embeds the chunks around that paragraph only.
  const reusable = new Map<string, string>()
  if (todo.length > 0) {
    const found = await sql.query<{ content_hash: string; embedding: string }>(
      `SELECT DISTINCT ON (content_hash) content_hash, embedding::text AS embedding FROM chunks
       WHERE org_id = $1 AND vector_store_id = $2 AND content_hash = ANY($3::text[])`,
      [request.orgId, request.vectorStoreId, todo.map((chunk) => chunk.hash)],
    )
    for (const row of found.rows) reusable.set(row.content_hash, row.embedding)
  }

  let embedded = 0
  for (let i = 0; i < todo.length; i += deps.batchSize) {
    const batch = todo.slice(i, i + deps.batchSize)
    const missing = batch.filter((chunk) => !reusable.has(chunk.hash))
    if (missing.length > 0) {
      const vectors = await deps.embedder.embed(
        source.embeddingModel,
        missing.map((chunk) => chunk.embeddingInput),
        await deps.sign(request.identity),
      )
      const dims = vectors[0]?.length ?? 0
      await ensureVectorIndex(sql, dims)
      for (const [j, chunk] of missing.entries())
        reusable.set(chunk.hash, toSql(vectors[j] as number[]) as string)
      embedded += missing.length
    }
    await writeChunks(deps, request, source, batch, reusable)
    done += batch.length
    await progress(deps, request, done, chunks.length)
  }
  // A file that now makes fewer chunks (rechunked, or re-ingested shorter) loses the extra ones.
  await sql.query(
    'DELETE FROM chunks WHERE org_id = $1 AND vector_store_id = $2 AND file_id = $3 AND chunk_index >= $4',
    [...keys, chunks.length],
  )
  await finish(deps, request, 'completed', null, chunks.length)
  return { status: 'completed', chunks: chunks.length, embedded }
}

/**
 * Takes the file for this run if it is still in progress at this generation and nobody holds it:
 * its lease is renewed as batches go, and a worker that dies leaves it to run out.
 */
async function claim(deps: IngestDeps, request: IngestRequest): Promise<Source | null> {
  const now = deps.now()
  const { rows } = await deps.sql.query<{
    chunking_strategy: ChunkingStrategy
    attempts: number
    filename: string
    content_type: string
    object_key: string
    embedding_model: string
    language: string
    attributes: Record<string, unknown>
  }>(
    `WITH claimed AS (
       UPDATE vector_store_files SET lease_until = $5, attempts = attempts + 1, updated_at = $6
       WHERE org_id = $1 AND vector_store_id = $2 AND file_id = $3 AND generation = $4
         AND status = 'in_progress' AND (lease_until IS NULL OR lease_until <= $6)
       RETURNING vector_store_id, file_id, chunking_strategy, attempts, attributes)
     SELECT c.chunking_strategy, c.attempts, c.attributes, f.filename, f.content_type, f.object_key,
            s.embedding_model, s.text_search_language::text AS language
     FROM claimed c
     JOIN files f ON f.id = c.file_id AND f.org_id = $1
     JOIN vector_stores s ON s.id = c.vector_store_id AND s.org_id = $1`,
    [
      request.orgId,
      request.vectorStoreId,
      request.fileId,
      request.generation,
      new Date(now + deps.leaseMs),
      new Date(now),
    ],
  )
  const row = rows[0]
  if (row === undefined) return null
  return {
    strategy: row.chunking_strategy,
    attempts: row.attempts,
    filename: row.filename,
    contentType: row.content_type,
    objectKey: row.object_key,
    embeddingModel: row.embedding_model,
    language: row.language,
    attributes: row.attributes,
  }
}

/**
 * Upserts a batch by (file, chunk index): a chunk already there with the same hash is left alone,
 * so a run repeated after a crash writes no duplicate and rewrites nothing it finished.
 */
async function writeChunks(
  deps: IngestDeps,
  request: IngestRequest,
  source: Source,
  batch: readonly Chunk[],
  vectors: ReadonlyMap<string, string>,
): Promise<void> {
  const rows = batch.map((chunk) => ({
    chunk_index: chunk.index,
    text: chunk.text,
    heading_path: chunk.headingPath,
    char_start: chunk.start,
    char_end: chunk.end,
    content_hash: chunk.hash,
    token_count: chunk.tokens,
    embedding: vectors.get(chunk.hash),
  }))
  await deps.sql.query(
    `INSERT INTO chunks (org_id, vector_store_id, file_id, chunk_index, text, heading_path, char_start,
                         char_end, content_hash, token_count, attributes, embedding, language)
     SELECT $1, $2, $3, r.chunk_index, r.text, ARRAY(SELECT jsonb_array_elements_text(r.heading_path)),
            r.char_start, r.char_end, r.content_hash, r.token_count, $4::jsonb, r.embedding::vector, $5::regconfig
     FROM jsonb_to_recordset($6::jsonb) AS r(chunk_index int, text text, heading_path jsonb, char_start int,
                                             char_end int, content_hash text, token_count int, embedding text)
     WHERE EXISTS (SELECT 1 FROM vector_store_files
                   WHERE org_id = $1 AND vector_store_id = $2 AND file_id = $3 AND generation = $7)
     ON CONFLICT (vector_store_id, file_id, chunk_index) DO UPDATE SET
       text = excluded.text, heading_path = excluded.heading_path, char_start = excluded.char_start,
       char_end = excluded.char_end, content_hash = excluded.content_hash, token_count = excluded.token_count,
       attributes = excluded.attributes, embedding = excluded.embedding, language = excluded.language
     WHERE chunks.content_hash IS DISTINCT FROM excluded.content_hash`,
    [
      request.orgId,
      request.vectorStoreId,
      request.fileId,
      JSON.stringify(source.attributes),
      source.language,
      JSON.stringify(rows),
      request.generation,
    ],
  )
}

/** Records progress and renews the lease; a row at another generation means this run was overtaken. */
async function progress(
  deps: IngestDeps,
  request: IngestRequest,
  done: number,
  total: number,
): Promise<void> {
  const now = deps.now()
  const { rowCount } = await deps.sql.query(
    `UPDATE vector_store_files SET chunks_done = $5, chunks_total = $6, lease_until = $7, updated_at = $8
     WHERE org_id = $1 AND vector_store_id = $2 AND file_id = $3 AND generation = $4 AND status = 'in_progress'`,
    [
      request.orgId,
      request.vectorStoreId,
      request.fileId,
      request.generation,
      done,
      total,
      new Date(now + deps.leaseMs),
      new Date(now),
    ],
  )
  if (rowCount === 0) throw new Overtaken()
  await publish(deps, request, 'in_progress', null, done, total)
}

async function finish(
  deps: IngestDeps,
  request: IngestRequest,
  status: 'completed' | 'failed',
  lastError: { code: string; message: string } | null,
  total: number | null = null,
): Promise<void> {
  const { rows } = await deps.sql.query<{ chunks_done: number; chunks_total: number | null }>(
    `UPDATE vector_store_files SET status = $5, last_error = $6::jsonb, lease_until = NULL, updated_at = $7,
       chunks_done = coalesce($8, chunks_done), chunks_total = coalesce($8, chunks_total),
       usage_bytes = CASE WHEN $5 = 'completed' THEN (
         SELECT coalesce(sum(octet_length(text) + 4 * dims), 0) FROM chunks
         WHERE org_id = $1 AND vector_store_id = $2 AND file_id = $3) ELSE usage_bytes END
     WHERE org_id = $1 AND vector_store_id = $2 AND file_id = $3 AND generation = $4 AND status = 'in_progress'
     RETURNING chunks_done, chunks_total`,
    [
      request.orgId,
      request.vectorStoreId,
      request.fileId,
      request.generation,
      status,
      lastError === null ? null : JSON.stringify(lastError),
      new Date(deps.now()),
      total,
    ],
  )
  const row = rows[0]
  if (row === undefined) throw new Overtaken()
  // A failed file keeps no chunks: search never returns part of a file that did not ingest.
  if (status === 'failed')
    await deps.sql.query('DELETE FROM chunks WHERE org_id = $1 AND vector_store_id = $2 AND file_id = $3', [
      request.orgId,
      request.vectorStoreId,
      request.fileId,
    ])
  await publish(deps, request, status, lastError, row.chunks_done, row.chunks_total)
}

/** Lets the file go (this run was overtaken): the newer request's worker need not wait for the lease. */
async function release(deps: IngestDeps, request: IngestRequest): Promise<void> {
  await deps.sql.query(
    'UPDATE vector_store_files SET lease_until = NULL WHERE org_id = $1 AND vector_store_id = $2 AND file_id = $3',
    [request.orgId, request.vectorStoreId, request.fileId],
  )
}

async function publish(
  deps: IngestDeps,
  request: IngestRequest,
  status: 'in_progress' | 'completed' | 'failed',
  lastError: { code: string; message: string } | null,
  chunksDone: number,
  chunksTotal: number | null,
): Promise<void> {
  await deps.bus.publish(ragDocumentsV1, `${request.vectorStoreId}/${request.fileId}`, {
    orgId: request.orgId,
    vectorStoreId: request.vectorStoreId,
    fileId: request.fileId,
    generation: request.generation,
    status,
    lastError,
    chunksDone,
    chunksTotal,
    occurredAt: new Date(deps.now()).toISOString(),
  })
}
