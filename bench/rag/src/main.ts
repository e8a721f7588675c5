// pnpm bench:rag: rag's retrieval quality on a BEIR collection (nDCG@10 of hybrid, vector and
// full-text search, ingested and searched through the API) and its speed on native PostgreSQL +
// pgvector (ingested chunks per second with a fast fake embedder, search p50/p99 through the API
// against the same statements sent straight with pg, HNSW recall@10). The last line is the summary:
//   rag ingest_chunks_per_s=<n> search_p50_ms=<a> search_p99_ms=<b> floor_p50_ms=<c> floor_p99_ms=<d>
//   hnsw_recall_at_10=<r> ndcg_at_10_hybrid=<h> ndcg_at_10_vector=<v> ndcg_at_10_fulltext=<f>
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { Summary } from '@switchyard/bench-router/stats'
import { llmRouterService } from '@switchyard/llm-router'
import { RagApi } from './api.ts'
import { loadBeir } from './beir.ts'
import { fakeDimensions, fakeEmbedderService } from './embedder.ts'
import { qualityEmbedder } from './embedders.ts'
import { type Platform, startPlatform } from './platform.ts'
import { type QualityResult, qualityChunking, runQuality } from './quality.ts'
import { runSpeed, type SpeedResult } from './speed.ts'
import { vocabularyOf } from './synthetic.ts'

const defaultDataset = fileURLToPath(new URL('../../../../shared/data/ir/cranfield', import.meta.url))
const { values: flags } = parseArgs({
  options: {
    dataset: { type: 'string' },
    split: { type: 'string', default: 'test' },
    chunks: { type: 'string' },
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    'database-url': { type: 'string' },
    embedding: { type: 'string', default: 'local' },
    'skip-quality': { type: 'boolean', default: false },
    'skip-speed': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})
if (flags.help) {
  process.stdout.write(`pnpm bench:rag [options]
  --dataset DIR       a BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv or qrels.tsv
                      (default ../shared/data/ir/cranfield beside the repository)
  --split NAME        the qrels split (default test)
  --chunks N          chunks in the speed half (default 100000; --quick 10000)
  --rounds N          times each of the 200 speed queries is searched each way (default 5; --quick 2)
  --embedding KIND    quality's embeddings through the router: local (its all-MiniLM-L6-v2, the
                      default; bash scripts/fetch-model.sh minilm) or fake (the fake upstream's hashing)
  --database-url URL  a PostgreSQL with pgvector where the bench may create a database
                      (default SWITCHYARD_TEST_PGVECTOR_URL, else deploy/local's on 127.0.0.1:5433)
  --skip-quality, --skip-speed   run one half only (its numbers print as NaN)
`)
  process.exit(0)
}
const int = (value: string | undefined, fallback: number) => {
  const n = value === undefined ? fallback : Number(value)
  if (!Number.isSafeInteger(n) || n < 1) {
    process.stderr.write(`bench:rag: ${value} is not a positive integer\n`)
    process.exit(2)
  }
  return n
}
const datasetDir = flags.dataset ?? defaultDataset
if (!existsSync(datasetDir)) {
  process.stderr.write(`bench:rag: no dataset at ${datasetDir}; name one with --dataset DIR\n`)
  process.exit(2)
}
const databaseUrl =
  flags['database-url'] ??
  process.env.SWITCHYARD_TEST_PGVECTOR_URL ??
  'postgres://switchyard:switchyard@127.0.0.1:5433/switchyard'
const chunks = int(flags.chunks, flags.quick ? 10_000 : 100_000)
const embedding = flags.embedding
if (embedding !== 'local' && embedding !== 'fake') {
  process.stderr.write(`bench:rag: --embedding is local or fake, not ${embedding}\n`)
  process.exit(2)
}
const rounds = int(flags.rounds, flags.quick ? 2 : 5)

const log = (line: string) => process.stderr.write(`${line}\n`)
const started = performance.now()
const dataset = await loadBeir(datasetDir, flags.split)
log(
  `dataset ${datasetDir}: ${dataset.documents.length} documents, ${dataset.queries.size} queries, ${dataset.qrels.size} judged (${dataset.qrelsFile})`,
)

/** Runs `body` against rag on its own database, with `router` as its llm-router. */
async function withPlatform<T>(
  router: Parameters<typeof startPlatform>[0]['router'],
  env: Record<string, string>,
  body: (platform: Platform, api: RagApi) => Promise<T>,
): Promise<T> {
  const platform = await startPlatform({ databaseUrl, router, env, log })
  const api = new RagApi(platform.ragUrl, platform.headers)
  try {
    return await body(platform, api)
  } finally {
    await api.close()
    await platform.close()
  }
}

const out: string[] = []
let quality: QualityResult | undefined
if (!flags['skip-quality']) {
  const embedder = await qualityEmbedder(embedding)
  try {
    quality = await withPlatform(llmRouterService, embedder.env, (_, api) =>
      runQuality(api, dataset, { embeddingModel: embedder.model, log }),
    )
  } finally {
    await embedder.close()
  }
  const { max_chunk_size_tokens: size, chunk_overlap_tokens: overlap } = qualityChunking.static
  out.push(
    `quality: ${quality.documents} documents ingested through the API in ${quality.ingestSeconds.toFixed(1)} s (${quality.failed} failed, ${quality.skipped} empty not uploaded); chunks of ${size} tokens, ${overlap} overlapping; embeddings: ${embedder.describe}, through the llm-router`,
    ...(['hybrid', 'vector', 'fulltext'] as const).map(
      (mode) =>
        `nDCG@10 ${mode.padEnd(8)} ${quality?.ndcg[mode].mean.toFixed(4)} over ${quality?.ndcg[mode].queries} judged queries (${quality?.ndcg[mode].empty} retrieved nothing)`,
    ),
    'nDCG@10 BM25     0.3276 (the collection README’s plain BM25, for comparison)',
    '',
  )
}

let speed: SpeedResult | undefined
if (!flags['skip-speed']) {
  const vocabulary = vocabularyOf(dataset.documents)
  speed = await withPlatform(fakeEmbedderService, {}, (platform, api) =>
    runSpeed(platform, api, vocabulary, {
      chunks,
      perFile: 100,
      queries: 200,
      rounds,
      recallQueries: 100,
      log,
    }),
  )
  const ms = (value: number) => value.toFixed(2)
  const row = (name: string, s: Summary) =>
    `${name.padEnd(40)} n=${String(s.count).padStart(5)}  p50 ${ms(s.p50).padStart(7)}  p90 ${ms(s.p90).padStart(7)}  p99 ${ms(s.p99).padStart(7)}  mean ${ms(s.mean).padStart(7)}`
  out.push(
    `speed: ${speed.chunks} chunks in ${speed.files} files (synthetic: words drawn by their frequency in the collection; one 4-sentence paragraph a chunk), uploaded in ${speed.uploadSeconds.toFixed(1)} s, ingested in ${speed.ingestSeconds.toFixed(1)} s: ${speed.chunksPerSecond.toFixed(0)} chunks/s (fast fake embedder, ${fakeDimensions} dims)`,
    row('search through the API (hybrid), ms', speed.api),
    row('floor: its statements straight with pg, ms', speed.floor),
    row('the search statement alone, ms', speed.statement),
    `search added over the floor: p50 ${ms(speed.api.p50 - speed.floor.p50)} ms, p99 ${ms(speed.api.p99 - speed.floor.p99)} ms; the plan ${speed.usesIndex ? 'uses' : 'does NOT use'} the HNSW index`,
    `HNSW recall@10 ${speed.recallAt10.toFixed(4)} (the vector list against the same statement with index scans off)`,
    '',
  )
}

const f4 = (value: number | undefined) => (value === undefined ? 'NaN' : value.toFixed(4))
const f2 = (value: number | undefined) => (value === undefined ? 'NaN' : value.toFixed(2))
out.push(
  `took ${((performance.now() - started) / 1000).toFixed(0)} s`,
  '',
  [
    'rag',
    `ingest_chunks_per_s=${speed === undefined ? 'NaN' : speed.chunksPerSecond.toFixed(0)}`,
    `search_p50_ms=${f2(speed?.api.p50)}`,
    `search_p99_ms=${f2(speed?.api.p99)}`,
    `floor_p50_ms=${f2(speed?.floor.p50)}`,
    `floor_p99_ms=${f2(speed?.floor.p99)}`,
    `hnsw_recall_at_10=${f4(speed?.recallAt10)}`,
    `ndcg_at_10_hybrid=${f4(quality?.ndcg.hybrid.mean)}`,
    `ndcg_at_10_vector=${f4(quality?.ndcg.vector.mean)}`,
    `ndcg_at_10_fulltext=${f4(quality?.ndcg.fulltext.mean)}`,
  ].join(' '),
)
process.stdout.write(`${out.join('\n')}\n`)
