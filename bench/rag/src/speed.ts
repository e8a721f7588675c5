// Speed on native PostgreSQL + pgvector: synthetic files ingested through rag's API and worker
// with the fast fake embedder (chunks per second: the pipeline's own cost), search through the API
// against the very statements rag sent for it replayed straight with `pg` (the floor, the same run,
// alternating), and the HNSW index's recall@10 against an exact scan of the same statement.
import { type Summary, summarize } from '@switchyard/bench-router/stats'
import pg from 'pg'
import type { RagApi } from './api.ts'
import type { Platform, Statement } from './platform.ts'
import { pool } from './pool.ts'
import { paragraph, seededRandom, sentence, type Vocabulary } from './synthetic.ts'

export interface SpeedOptions {
  chunks: number
  /** Paragraphs (one chunk each) per uploaded file. */
  perFile: number
  /** Distinct queries; each is searched `rounds` times through the API and as many times straight. */
  queries: number
  rounds: number
  recallQueries: number
  log: (line: string) => void
}

export interface SpeedResult {
  chunks: number
  files: number
  uploadSeconds: number
  ingestSeconds: number
  chunksPerSecond: number
  api: Summary
  floor: Summary
  /** The search statement alone, without its transaction's other round trips. */
  statement: Summary
  recallAt10: number
  /** Whether the planner used the HNSW index for the vector list. */
  usesIndex: boolean
}

/** The statements of one search: its transaction (BEGIN and SET LOCALs, the search, COMMIT). */
const searchStatement = (s: Statement) => /^(BEGIN|COMMIT|WITH (vec|tq) AS)/.test(s.text)

type Client = pg.Client

async function replay(client: Client, statements: readonly Statement[]): Promise<unknown> {
  let result: unknown
  for (const s of statements) {
    const res = await client.query(s.text, s.values)
    if (s.text.startsWith('WITH')) result = res.rows[0]
  }
  return result
}

/** The results of a replayed search statement: chunks and their scores (vector: cosine similarity). */
const hits = (row: unknown) => (row as { results: { chunk_id: number | string; score: number }[] }).results

export async function runSpeed(
  platform: Platform,
  api: RagApi,
  vocabulary: Vocabulary,
  o: SpeedOptions,
): Promise<SpeedResult> {
  const store = await api.createVectorStore({
    name: 'speed',
    embedding_model: 'bench-fake-embed',
    chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } },
  })
  const random = seededRandom(1)
  const files = Math.ceil(o.chunks / o.perFile)
  const contents = Array.from({ length: files }, (_, f) =>
    Array.from({ length: Math.min(o.perFile, o.chunks - f * o.perFile) }, () =>
      paragraph(vocabulary, random),
    ).join('\n\n'),
  )
  let started = performance.now()
  const ids: string[] = new Array(files)
  await pool(files, 8, async (f) => {
    ids[f] = await api.upload(`synthetic-${f}.txt`, contents[f] as string)
  })
  const uploadSeconds = (performance.now() - started) / 1000
  o.log(`speed: uploaded ${files} files in ${uploadSeconds.toFixed(1)} s`)

  started = performance.now()
  await api.attach(
    store,
    ids.map((file_id) => ({ file_id, attributes: {} })),
  )
  let reported = 0
  const counts = await api.waitIngested(store, (c) => {
    const done = c.completed + c.failed
    if (done - reported >= Math.max(1, files / 10)) {
      reported = done
      const s = (performance.now() - started) / 1000
      o.log(`speed: ${done}/${c.total} files ingested (${s.toFixed(0)} s)`)
    }
  })
  const ingestSeconds = (performance.now() - started) / 1000
  if (counts.failed > 0) throw new Error(`${counts.failed} synthetic files failed to ingest`)
  const { rows } = await platform.sql.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM chunks WHERE vector_store_id = $1',
    [store],
  )
  const chunks = rows[0]?.n ?? 0
  const chunksPerSecond = chunks / ingestSeconds
  o.log(`speed: ${chunks} chunks in ${ingestSeconds.toFixed(1)} s: ${chunksPerSecond.toFixed(0)} chunks/s`)
  // What autovacuum does soon after a bulk load anyway: the planner sees the table as it now is.
  await platform.sql.query('ANALYZE chunks')

  const floor = new pg.Client({ connectionString: platform.databaseUrl })
  await floor.connect()
  try {
    const queries = Array.from({ length: o.queries }, () => sentence(vocabulary, random, 8).slice(0, -1))
    /** One API search, and the statements rag sent for it. */
    const captured = async (query: string, mode: 'hybrid' | 'vector') => {
      platform.sql.recording = []
      const results = await api.search(store, { query, mode, max_num_results: 10 })
      const statements = platform.sql.recording.filter(searchStatement)
      platform.sql.recording = null
      if (results.length !== 10) throw new Error(`a search gave ${results.length} results, not 10`)
      return statements
    }

    // Each query once through the API (warming up both paths), its statements kept for the floor.
    const statements: Statement[][] = []
    for (const query of queries) {
      const sent = await captured(query, 'hybrid')
      await replay(floor, sent)
      statements.push(sent)
    }
    const plan = await explain(floor, statements[0] as Statement[])
    const usesIndex = /chunks_embedding_384/.test(plan)
    o.log(`speed: hybrid plan ${usesIndex ? 'uses' : 'does NOT use'} the HNSW index chunks_embedding_384`)

    const apiMs: number[] = []
    const floorMs: number[] = []
    const statementMs: number[] = []
    for (let round = 0; round < o.rounds; round++) {
      for (const [i, query] of queries.entries()) {
        const sent = statements[i] as Statement[]
        const viaApi = async () => {
          const t = performance.now()
          await api.search(store, { query, mode: 'hybrid', max_num_results: 10 })
          apiMs.push(performance.now() - t)
        }
        const straight = async () => {
          const t = performance.now()
          await replay(floor, sent)
          floorMs.push(performance.now() - t)
        }
        // Alternating which goes first, so neither always meets a cache the other warmed.
        if ((round + i) % 2 === 0) {
          await viaApi()
          await straight()
        } else {
          await straight()
          await viaApi()
        }
        const main = sent.filter((s) => s.text.startsWith('WITH'))
        await floor.query((sent[0] as Statement).text)
        const t = performance.now()
        await replay(floor, main)
        statementMs.push(performance.now() - t)
        await floor.query('COMMIT')
      }
      o.log(`speed: search round ${round + 1}/${o.rounds}`)
    }

    // Recall@10 of the index: the vector list rag runs, against the same statement with index scans
    // off (exact). As ann-benchmarks counts it, a result is a true neighbour when it is no farther
    // than the exact 10th: with hashed word counts several chunks can tie at that distance.
    let found = 0
    let expected = 0
    for (const query of queries.slice(0, o.recallQueries)) {
      const sent = await captured(query, 'vector')
      const approximate = hits(await replay(floor, sent))
      const exactSent = sent.map((s) =>
        s.text.startsWith('BEGIN') ? { ...s, text: `${s.text}; SET LOCAL enable_indexscan = off` } : s,
      )
      const exact = hits(await replay(floor, exactSent))
      const tenth = exact[exact.length - 1]?.score ?? Number.POSITIVE_INFINITY
      expected += exact.length
      found += Math.min(exact.length, approximate.filter((hit) => hit.score >= tenth - 1e-9).length)
    }
    const recallAt10 = found / expected
    o.log(
      `speed: HNSW recall@10 ${recallAt10.toFixed(4)} over ${Math.min(o.recallQueries, queries.length)} queries`,
    )
    return {
      chunks,
      files,
      uploadSeconds,
      ingestSeconds,
      chunksPerSecond,
      api: summarize(apiMs),
      floor: summarize(floorMs),
      statement: summarize(statementMs),
      recallAt10,
      usesIndex,
    }
  } finally {
    await floor.end()
  }
}

/** EXPLAIN of a search's main statement, inside its transaction's settings. */
async function explain(client: Client, sent: readonly Statement[]): Promise<string> {
  const begin = sent.find((s) => s.text.startsWith('BEGIN'))
  const main = sent.find((s) => s.text.startsWith('WITH')) as Statement
  await client.query(begin?.text ?? 'BEGIN')
  try {
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${main.text}`, main.values)
    return rows.map((r) => r['QUERY PLAN']).join('\n')
  } finally {
    await client.query('COMMIT')
  }
}
