// Retrieval quality: a BEIR collection ingested through rag's API as a user would (one file per
// document, its id in the file's attributes, attached in batches), every judged query searched in
// each mode, nDCG@10 as trec_eval computes it.
import type { RagApi } from './api.ts'
import { type BeirDataset, documentText } from './beir.ts'
import { type MeanNdcg, meanNdcgAt, type Run } from './ndcg.ts'
import { pool } from './pool.ts'

export const modes = ['hybrid', 'vector', 'fulltext'] as const
export type Mode = (typeof modes)[number]

export interface QualityResult {
  ndcg: Record<Mode, MeanNdcg>
  documents: number
  /** Documents without text: not uploaded (rag refuses an empty file). */
  skipped: number
  failed: number
  ingestSeconds: number
}

/**
 * Chunks for the embedding model's window: all-MiniLM-L6-v2 was trained on 256 word pieces (and
 * the router refuses inputs over its 511), so 200 o200k tokens, half overlapping as `auto`'s
 * 800/400 do. `auto` itself makes one chunk of a long abstract, which the local model refuses.
 * Chosen from the model, not from any score; the same for every collection.
 */
export const qualityChunking = {
  type: 'static',
  static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 100 },
} as const

/** The attribute that carries a document's BEIR id. */
const docIdKey = 'doc_id'
/**
 * Results asked per query: more than 10, so that a document split into several chunks still leaves
 * 10 documents; up to 20 the candidate lists rag fuses are the same as for 10 (40 each).
 */
const resultsPerQuery = 20

export async function runQuality(
  api: RagApi,
  dataset: BeirDataset,
  o: { embeddingModel: string; log: (line: string) => void },
): Promise<QualityResult> {
  const store = await api.createVectorStore({
    name: 'beir',
    embedding_model: o.embeddingModel,
    chunking_strategy: qualityChunking,
  })
  const docs = dataset.documents.filter((doc) => documentText(doc).trim() !== '')
  const started = performance.now()
  const files: { file_id: string; attributes: Record<string, string> }[] = new Array(docs.length)
  let uploaded = 0
  await pool(docs.length, 8, async (i) => {
    const doc = docs[i] as (typeof docs)[number]
    const fileId = await api.upload(`${doc.id}.txt`, documentText(doc))
    files[i] = { file_id: fileId, attributes: { [docIdKey]: doc.id } }
    if (++uploaded % 500 === 0) o.log(`quality: uploaded ${uploaded}/${docs.length}`)
  })
  await api.attach(store, files)
  let last = 0
  const counts = await api.waitIngested(store, (c) => {
    const done = c.completed + c.failed + c.cancelled
    if (done - last >= 200) {
      last = done
      o.log(
        `quality: ingested ${done}/${c.total} files (${((performance.now() - started) / 1000).toFixed(0)} s)`,
      )
    }
  })
  const ingestSeconds = (performance.now() - started) / 1000
  o.log(
    `quality: ${counts.completed} files completed, ${counts.failed} failed, in ${ingestSeconds.toFixed(1)} s`,
  )

  // trec_eval averages over the judged queries; a judged query missing from queries.jsonl cannot be run.
  const judged = [...dataset.qrels.keys()].filter((id) => dataset.queries.has(id))
  const qrels = new Map(judged.map((id) => [id, dataset.qrels.get(id) as ReadonlyMap<string, number>]))
  const ndcg = {} as Record<Mode, MeanNdcg>
  for (const mode of modes) {
    const runs = new Map<string, Run>()
    await pool(judged.length, 4, async (i) => {
      const id = judged[i] as string
      const results = await api.search(store, {
        query: dataset.queries.get(id) as string,
        mode,
        max_num_results: resultsPerQuery,
      })
      // A document's score is its best chunk's.
      const run = new Map<string, number>()
      for (const result of results) {
        const doc = String(result.attributes?.[docIdKey])
        run.set(doc, Math.max(run.get(doc) ?? Number.NEGATIVE_INFINITY, result.score))
      }
      runs.set(id, run)
    })
    ndcg[mode] = meanNdcgAt(10, runs, qrels)
    o.log(
      `quality: ${mode} nDCG@10 ${ndcg[mode].mean.toFixed(4)} over ${ndcg[mode].queries} queries (${ndcg[mode].empty} with no result)`,
    )
  }
  return {
    ndcg,
    documents: docs.length,
    skipped: dataset.documents.length - docs.length,
    failed: counts.failed,
    ingestSeconds,
  }
}
