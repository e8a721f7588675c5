// Must show 5, crash safety: a rag-worker process killed (SIGKILL) mid-file, once its first batch of
// chunks is written, leaves the file to the next worker process, which finishes it with no
// duplicate chunk and without embedding the written batch again. Real processes, real servers.

import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { text } from 'node:stream/consumers'
import { fakeEmbedding } from '@switchyard/testing'
import { toFile } from 'openai'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { spawnSwitchyard } from '../spawn-switchyard.ts'
import { type RagTargets, startRagTargets } from './single-targets.ts'

const dims = 48
/** Every input the upstream answered, in order. */
const answered: string[] = []
/** Requests held while the gate is shut: destroyed when the worker dies, as its connections are. */
const held: ServerResponse[] = []
let gateOpen = false
/** OpenAI's embeddings endpoint that answers the first request, and holds the rest while shut. */
const upstream = createServer(async (req, res) => {
  const body = JSON.parse(await text(req)) as { model: string; input: string[] }
  if (!gateOpen && answered.length > 0) {
    held.push(res)
    return
  }
  answered.push(...body.input)
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(
    JSON.stringify({
      object: 'list',
      model: body.model,
      data: body.input.map((input, index) => ({
        object: 'embedding',
        index,
        embedding: fakeEmbedding(input, dims),
      })),
      usage: { prompt_tokens: body.input.length, total_tokens: body.input.length },
    }),
  )
})
let targets: RagTargets
let home: string

beforeAll(async () => {
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  const address = upstream.address()
  const port = typeof address === 'object' && address ? address.port : 0
  targets = await startRagTargets({
    'fake-embed': {
      deployments: [
        { id: 'gated-embed', provider: 'openai', baseUrl: `http://127.0.0.1:${port}/v1`, model: 'gated' },
      ],
    },
  })
  home = await mkdtemp(join(tmpdir(), 'rag-crash-'))
}, 120_000)

afterAll(async () => {
  for (const res of held) res.destroy()
  await targets?.close()
  upstream.closeAllConnections()
  await new Promise((resolve) => upstream.close(resolve))
  await rm(home, { recursive: true, force: true })
})

/** A worker process, as a deployment runs it: `switchyard start --target=rag-worker`. */
const spawnWorker = (name: string) =>
  spawnSwitchyard({
    args: ['start', '--target=rag-worker'],
    dataDir: join(home, name),
    home,
    // Two chunks per embeddings call; a dead worker's lease runs out after a second.
    env: { ...targets.workerEnv, RAG_WORKER_BATCH_SIZE: '2', RAG_WORKER_LEASE_MS: '1s' },
    healthyWithinMs: 60_000,
  })

async function row(fileId: string) {
  const { rows } = await targets.sql.query<{
    status: string
    chunks_done: number
    chunks_total: number | null
  }>('SELECT status, chunks_done, chunks_total FROM vector_store_files WHERE file_id = $1', [fileId])
  return rows[0]
}

test('a worker killed after its first batch leaves the file to the next one: no duplicates, nothing lost', async () => {
  const { openai } = targets
  // Ten sections, one chunk each (sections never share a chunk): five batches of two.
  const sections = Array.from(
    { length: 10 },
    (_, i) => `## Section ${i}\n\nParagraph ${i} talks about topic${i} and nothing else.`,
  )
  const file = await openai.files.create({
    file: await toFile(Buffer.from(sections.join('\n\n')), 'sections.md'),
    purpose: 'assistants',
  })
  const store = await openai.vectorStores.create({ name: 'crash' })

  const first = await spawnWorker('first')
  await openai.vectorStores.files.create(store.id, {
    file_id: file.id,
    chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } },
  })
  // The first batch is written (and its progress recorded); the second call is held upstream.
  await expect.poll(async () => (await row(file.id))?.chunks_done, { timeout: 60_000, interval: 50 }).toBe(2)
  const [firstBatch] = [answered.slice()]
  expect(firstBatch).toHaveLength(2)
  const exited = new Promise((resolve) => first.child.once('exit', (_code, signal) => resolve(signal)))
  first.child.kill('SIGKILL')
  expect(await exited).toBe('SIGKILL')
  for (const res of held.splice(0)) res.destroy()
  expect(await row(file.id)).toMatchObject({ status: 'in_progress', chunks_done: 2, chunks_total: 10 })

  gateOpen = true
  await spawnWorker('second')
  await expect
    .poll(async () => (await row(file.id))?.status, { timeout: 60_000, interval: 100 })
    .toBe('completed')

  const { rows } = await targets.sql.query<{ rows: number; indexes: number; first: number; last: number }>(
    `SELECT count(*)::int AS rows, count(DISTINCT chunk_index)::int AS indexes,
            min(chunk_index)::int AS first, max(chunk_index)::int AS last
     FROM chunks WHERE file_id = $1`,
    [file.id],
  )
  expect(rows[0]).toEqual({
    rows: sections.length,
    indexes: sections.length,
    first: 0,
    last: sections.length - 1,
  })
  expect(await row(file.id)).toMatchObject({ chunks_done: sections.length, chunks_total: sections.length })
  // The batch the first worker wrote was kept, not embedded again; every other chunk was embedded once.
  for (const input of firstBatch as string[]) expect(answered.filter((a) => a === input)).toHaveLength(1)
  expect(new Set(answered).size).toBe(sections.length)
  // And the file is searchable as a whole.
  const hits = await openai.vectorStores.search(store.id, { query: 'topic7', max_num_results: 1 })
  expect(hits.data[0]?.content[0]?.text).toContain('topic7')
}, 180_000)
