// Must show 1, the one-process shape: the official `openai` client drives rag through the gateway
// (API key in), rag's ingestion worker running in the same process as a consumer of rag.ingest.v1,
// and the real llm-router making embeddings on a fake upstream, with a worker token for the
// requester. Every registered service runs, as `./switchyard start` runs them.
import { bootstrapAdmin } from '@switchyard/admin'
import type { SqlPool } from '@switchyard/kit'
import { buildTestApp, type FakeUpstream, startFakeOpenAI, type TestApp } from '@switchyard/testing'
import OpenAI, { toFile } from 'openai'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { services } from '../targets.ts'
import { runWholeFlow } from './whole-flow.ts'

let upstream: FakeUpstream
let testApp: TestApp
let sql: SqlPool
let openai: OpenAI

beforeAll(async () => {
  upstream = await startFakeOpenAI({ embeddingDimensions: 48 })
  // Stores take the default embedding model, routed to the fake: the client needs no extension field.
  const catalog = {
    models: {
      'fake-embed': {
        deployments: [{ id: 'fake-embed-1', provider: 'openai', baseUrl: upstream.url, model: 'fake-embed' }],
      },
    },
  }
  testApp = await buildTestApp({
    services,
    env: {
      LLM_ROUTER_MODELS: JSON.stringify(catalog),
      RAG_DEFAULT_EMBEDDING_MODEL: 'fake-embed',
      RAG_WORKER_SWEEP_INTERVAL_MS: '200ms',
    },
    listen: true,
  })
  sql = testApp.switchyard.sql as SqlPool
  const acme = await bootstrapAdmin(sql, { orgName: 'Acme', ownerEmail: 'owner@acme.test' })
  openai = new OpenAI({ baseURL: `${testApp.url}/v1`, apiKey: acme.key, maxRetries: 0 })
}, 120_000)

afterAll(async () => {
  await testApp?.close()
  await upstream?.close()
})

const chunksOf = async (fileId: string) => {
  const { rows } = await sql.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM chunks WHERE file_id = $1',
    [fileId],
  )
  return rows[0]?.n ?? 0
}

test('upload, attach in a batch, poll to completed, search, delete: all through the gateway', async () => {
  await runWholeFlow(openai, { chunksOf })
  // The embeddings reached the upstream through the router, for the requester's org.
  const embeddings = upstream.requests.filter((r) => r.path === '/v1/embeddings' && r.status === 200)
  expect(embeddings.length).toBeGreaterThan(0)
}, 60_000)

test('an upload over the gateway body limit (4 MiB) but under rag cap (25 MiB) goes through', async () => {
  const bytes = 4 * 1_048_576 + 1
  const file = await openai.files.create({
    file: await toFile(Buffer.alloc(bytes, 'a'), 'big.txt'),
    purpose: 'assistants',
  })
  expect(file.bytes).toBe(bytes)
  await openai.files.delete(file.id)
}, 60_000)
