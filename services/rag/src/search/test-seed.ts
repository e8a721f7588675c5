// Test support: a vector store with files and chunks written straight to the tables, with
// deterministic vectors, for search tests that need no parser, router or worker.
import { createHash } from 'node:crypto'
import type { SqlQueryable } from '@switchyard/kit'

export interface SeedFile {
  fileId: string
  attributes: Record<string, string | number | boolean>
  chunks: string[]
}

export interface SeedStore {
  orgId: string
  vectorStoreId: string
  dims: number
  files: SeedFile[]
  /** A chunk's vector from its text (e.g. the fake upstream's `fakeEmbedding`); default `seededVector`. */
  embed?: (text: string, n: number) => number[]
}

/** A unit vector from a seed (mulberry32): the same seed, the same vector. */
export function seededVector(seed: number, dims: number): number[] {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5
  }
  const v = Array.from({ length: dims }, next)
  const norm = Math.hypot(...v)
  return v.map((x) => x / norm)
}

export function vectorLiteral(v: readonly number[]): string {
  return `[${v.join(',')}]`
}

/**
 * Writes the store, its files (named `<fileId>.txt`, completed) and their chunks; chunk n of the
 * store (counting across files in order) has the vector `seededVector(n, dims)` unless `embed` says.
 */
export async function seedStore(sql: SqlQueryable, store: SeedStore): Promise<void> {
  const strategy = JSON.stringify({ type: 'auto' })
  await sql.query(
    `INSERT INTO vector_stores (id, org_id, created_by, embedding_model, chunking_strategy)
     VALUES ($1, $2, 'user_seed', 'fake-embed', $3::jsonb)`,
    [store.vectorStoreId, store.orgId, strategy],
  )
  let n = 0
  for (const file of store.files) {
    await sql.query(
      `INSERT INTO files (id, org_id, created_by, filename, purpose, bytes, content_type, sha256, object_key)
       VALUES ($1, $2, 'user_seed', $3, 'assistants', 0, 'text/plain', '', $4)`,
      [file.fileId, store.orgId, `${file.fileId}.txt`, `${store.orgId}/files/${file.fileId}`],
    )
    await sql.query(
      `INSERT INTO vector_store_files (org_id, vector_store_id, file_id, status, attributes, chunking_strategy, chunks_done, chunks_total)
       VALUES ($1, $2, $3, 'completed', $4::jsonb, $5::jsonb, $6, $6)`,
      [
        store.orgId,
        store.vectorStoreId,
        file.fileId,
        JSON.stringify(file.attributes),
        strategy,
        file.chunks.length,
      ],
    )
    const rows = file.chunks.map((text, index) => ({
      index,
      text,
      hash: createHash('sha256').update(text).digest('hex'),
      embedding: vectorLiteral(store.embed?.(text, n++) ?? seededVector(n++, store.dims)),
    }))
    await sql.query(
      `INSERT INTO chunks (org_id, vector_store_id, file_id, chunk_index, text, char_start, char_end, content_hash,
                           token_count, attributes, embedding)
       SELECT $1, $2, $3, r.index, r.text, 0, length(r.text), r.hash, 1, $4::jsonb, r.embedding::vector
       FROM jsonb_to_recordset($5::jsonb) AS r(index int, text text, hash text, embedding text)`,
      [store.orgId, store.vectorStoreId, file.fileId, JSON.stringify(file.attributes), JSON.stringify(rows)],
    )
  }
}
