// Must show 1, production's shape: the official `openai` client drives rag whole with the router,
// rag and rag-worker each a target of its own on real PostgreSQL + pgvector, Kafka, Redis and the
// S3 server. rag.ingest.v1 goes through Kafka; the worker's embeddings carry a worker token.
import { type FakeUpstream, startFakeOpenAI } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type RagTargets, startRagTargets } from './single-targets.ts'
import { runWholeFlow } from './whole-flow.ts'

let upstream: FakeUpstream
let targets: RagTargets

beforeAll(async () => {
  upstream = await startFakeOpenAI({ embeddingDimensions: 48 })
  targets = await startRagTargets({
    'fake-embed': {
      deployments: [{ id: 'fake-embed-1', provider: 'openai', baseUrl: upstream.url, model: 'fake-embed' }],
    },
  })
  await targets.startWorker()
}, 120_000)

afterAll(async () => {
  await targets?.close()
  await upstream?.close()
})

test('upload, attach in a batch, poll to completed, search, delete: on the real servers', async () => {
  const chunksOf = async (fileId: string) => {
    const { rows } = await targets.sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM chunks WHERE file_id = $1',
      [fileId],
    )
    return rows[0]?.n ?? 0
  }
  await runWholeFlow(targets.openai, { chunksOf, pollIntervalMs: 200 })
  // Nothing of another org, and no chunk without its file, is in the database afterwards.
  const { rows } = await targets.sql.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM chunks c LEFT JOIN files f ON f.id = c.file_id WHERE f.id IS NULL OR c.org_id <> $1',
    [targets.identity.orgId],
  )
  expect(rows[0]?.n).toBe(0)
}, 120_000)
