// Ingestion on the real PostgreSQL + pgvector server, embeddings from the fake OpenAI upstream
// through the official client (the router's place is taken by the fake: this is the worker's own
// logic; the path through the router is tested with the service).
import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { type Identity, type RagDocumentsV1, ragDocumentsV1 } from '@switchyard/contracts'
import { createInProcessBus, type EventBus } from '@switchyard/events'
import { migrate } from '@switchyard/runtime'
import { type FakeUpstream, fakeClock, getInfra, startFakeOpenAI } from '@switchyard/testing'
import pg from 'pg'
import { pino } from 'pino'
import { afterAll, beforeAll, beforeEach, expect, onTestFinished, test } from 'vitest'
import { createRouterEmbedder, type Embedder } from './embed.ts'
import { type IngestDeps, ingestFile } from './ingest.ts'
import { tinyPdf } from './parse/fixtures.ts'
import { loadTokenCounter } from './tokenizer.ts'
import { startIngestionWorker } from './worker.ts'

const database = `switchyard_rag_${randomUUID().replaceAll('-', '')}`
const migrationsDir = fileURLToPath(new URL('../../migrations', import.meta.url))
let root: pg.Client
let pool: pg.Pool
let upstream: FakeUpstream
let bus: EventBus
const events: RagDocumentsV1[] = []
const objects = new Map<string, Uint8Array>()
const alice: Identity = { orgId: 'org_a', userId: 'user_alice', keyId: 'key_1', scopes: [] }

beforeAll(async () => {
  const { pgvectorUrl } = getInfra()
  root = new pg.Client({ connectionString: pgvectorUrl })
  await root.connect()
  await root.query(`CREATE DATABASE ${database}`)
  const url = new URL(pgvectorUrl)
  url.pathname = `/${database}`
  pool = new pg.Pool({ connectionString: url.toString(), max: 4 })
  pool.on('error', () => {})
  await migrate(pool, [{ name: 'rag', migrationsDir }])
  upstream = await startFakeOpenAI({ embeddingDimensions: 48 })
  bus = createInProcessBus({ logger: pino({ level: 'silent' }) })
  await bus.subscribe(ragDocumentsV1, 'test', async (event) => {
    events.push(event.data)
  })
})
afterAll(async () => {
  await bus?.close()
  await upstream?.close()
  await pool?.end()
  await root?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await root?.end()
})
beforeEach(() => {
  upstream.reset()
})

const routerEmbedder = (): Embedder =>
  createRouterEmbedder({ baseURL: upstream.url, fetch: globalThis.fetch })

function deps(over: Partial<IngestDeps> = {}): IngestDeps {
  const clock = fakeClock()
  return {
    sql: pool,
    bus,
    objects: {
      async get(key) {
        const bytes = objects.get(key)
        if (bytes === undefined)
          throw Object.assign(new Error(`no object ${key}`), { name: 'ObjectNotFoundError' })
        return Readable.from([bytes])
      },
    },
    embedder: routerEmbedder(),
    // The fake upstream takes any key: the user id shows whose identity the call carried.
    sign: async (identity) => identity.userId,
    countTokens: loadTokenCounter,
    logger: pino({ level: 'silent' }),
    now: clock.now,
    leaseMs: 60_000,
    batchSize: 2,
    retryBaseMs: 1_000,
    retryMaxMs: 60_000,
    ...over,
  }
}

let stores = 0
/** A vector store with one file attached (in progress, generation 1), its original in `objects`. */
async function attach(filename: string, content: Uint8Array | string, strategy: object = { type: 'auto' }) {
  const n = ++stores
  const vectorStoreId = `vs_${n}`
  const fileId = `file-${n}`
  const objectKey = `org_a/files/${fileId}`
  objects.set(objectKey, typeof content === 'string' ? new TextEncoder().encode(content) : content)
  await pool.query(
    `INSERT INTO vector_stores (id, org_id, created_by, embedding_model, chunking_strategy)
     VALUES ($1, 'org_a', 'user_alice', 'fake-embed', $2::jsonb)`,
    [vectorStoreId, JSON.stringify(strategy)],
  )
  await pool.query(
    `INSERT INTO files (id, org_id, created_by, filename, purpose, bytes, content_type, sha256, object_key)
     VALUES ($1, 'org_a', 'user_alice', $2, 'assistants', 1, 'application/octet-stream', '', $3)`,
    [fileId, filename, objectKey],
  )
  await pool.query(
    `INSERT INTO vector_store_files (org_id, vector_store_id, file_id, status, attributes, chunking_strategy, updated_at)
     VALUES ('org_a', $1, $2, 'in_progress', '{"team":"docs"}', $3::jsonb, $4)`,
    [vectorStoreId, fileId, JSON.stringify(strategy), new Date(fakeClock().now())],
  )
  return { orgId: 'org_a', vectorStoreId, fileId, generation: 1, identity: alice, objectKey }
}

async function fileRow(vectorStoreId: string, fileId: string) {
  const { rows } = await pool.query(
    'SELECT status, last_error, chunks_done, chunks_total, usage_bytes::int, lease_until FROM vector_store_files WHERE vector_store_id = $1 AND file_id = $2',
    [vectorStoreId, fileId],
  )
  return rows[0]
}

async function chunkRows(fileId: string) {
  const { rows } = await pool.query(
    `SELECT chunk_index, text, heading_path, char_start, char_end, content_hash, attributes, dims, language::text
     FROM chunks WHERE file_id = $1 ORDER BY chunk_index`,
    [fileId],
  )
  return rows
}

/** Texts the fake upstream was asked to embed, in order. */
function embeddedInputs(): string[] {
  return upstream.requests
    .filter((r) => r.path === '/v1/embeddings' && r.status === 200)
    .flatMap((r) => (r.body as { input: string[] }).input)
}

const sections = (n: number, words: string) =>
  Array.from({ length: n }, (_, i) => `## Part ${i}\n\n${words} number ${i}. It has a second sentence.`).join(
    '\n\n',
  )
const small = { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } }

test('a markdown file ends completed: chunks with offsets, headings, attributes and progress', async () => {
  const md = `# Manual\n\n${sections(5, 'The pump section')}\n`
  const file = await attach('manual.md', md, small)
  const outcome = await ingestFile(deps(), file)
  expect(outcome).toEqual({ status: 'completed', chunks: 5, embedded: 5 })

  const row = await fileRow(file.vectorStoreId, file.fileId)
  expect(row).toMatchObject({
    status: 'completed',
    last_error: null,
    chunks_done: 5,
    chunks_total: 5,
    lease_until: null,
  })
  const chunks = await chunkRows(file.fileId)
  expect(chunks.map((c) => c.chunk_index)).toEqual([0, 1, 2, 3, 4])
  for (const c of chunks) {
    expect(md.slice(c.char_start, c.char_end)).toBe(c.text)
    expect(c).toMatchObject({ attributes: { team: 'docs' }, dims: 48, language: 'english' })
  }
  expect(chunks[2]?.heading_path).toEqual(['Manual', 'Part 2'])
  // usage_bytes: the chunks' text plus 4 bytes per dimension.
  const textBytes = chunks.reduce((n, c) => n + Buffer.byteLength(c.text), 0)
  expect(row?.usage_bytes).toBe(textBytes + 5 * 48 * 4)
  // The model read the heading path before each chunk; the caller's identity went as the key.
  expect(embeddedInputs()[2]).toBe(`Manual > Part 2\n\n${chunks[2]?.text}`)
  expect(upstream.requests[0]?.headers.authorization).toBe('Bearer user_alice')
  // Batches of 2: progress 0/5, 2/5, 4/5, 5/5, then completed.
  const mine = () =>
    events.filter((e) => e.fileId === file.fileId).map((e) => `${e.status} ${e.chunksDone}/${e.chunksTotal}`)
  await expect
    .poll(mine)
    .toEqual(['in_progress 0/5', 'in_progress 2/5', 'in_progress 4/5', 'in_progress 5/5', 'completed 5/5'])
})

test('re-ingesting an edited file re-embeds only the chunks whose text changed', async () => {
  const md = `# Manual\n\n${sections(6, 'Original text')}\n`
  const file = await attach('manual.md', md, small)
  await ingestFile(deps(), file)
  const before = await chunkRows(file.fileId)
  upstream.reset()

  objects.set(
    file.objectKey,
    new TextEncoder().encode(md.replace('Original text number 4', 'Edited text number 4')),
  )
  await pool.query(
    `UPDATE vector_store_files SET status = 'in_progress', generation = 2 WHERE vector_store_id = $1 AND file_id = $2`,
    [file.vectorStoreId, file.fileId],
  )
  const outcome = await ingestFile(deps(), { ...file, generation: 2 })
  expect(outcome).toEqual({ status: 'completed', chunks: 6, embedded: 1 })
  expect(embeddedInputs()).toEqual([expect.stringContaining('Edited text number 4')])
  const after = await chunkRows(file.fileId)
  expect(
    after.filter((c, i) => c.content_hash !== before[i]?.content_hash).map((c) => c.chunk_index),
  ).toEqual([4])

  // Rechunked shorter (one section removed): the extra chunk goes.
  const shorter = `# Manual\n\n${sections(5, 'Original text')}\n`.replace(
    'Original text number 4',
    'Edited text number 4',
  )
  objects.set(file.objectKey, new TextEncoder().encode(shorter))
  await pool.query(
    `UPDATE vector_store_files SET status = 'in_progress', generation = 3 WHERE file_id = $1`,
    [file.fileId],
  )
  expect(await ingestFile(deps(), { ...file, generation: 3 })).toMatchObject({
    status: 'completed',
    chunks: 5,
    embedded: 0,
  })
  expect((await chunkRows(file.fileId)).map((c) => c.chunk_index)).toEqual([0, 1, 2, 3, 4])
})

test('a worker that dies mid-file leaves it to the next, which finishes with no duplicate chunks', async () => {
  const file = await attach('long.md', `# Long\n\n${sections(7, 'Crash course')}\n`, small)
  const clock = fakeClock()
  // The first worker's second embeddings call never answers: it is as good as killed there.
  let calls = 0
  let wake: () => void = () => {}
  const stuck: Embedder = {
    async embed(model, inputs, token) {
      if (++calls === 2) await new Promise<void>((resolve) => (wake = resolve))
      return routerEmbedder().embed(model, inputs, token)
    },
  }
  const zombie = ingestFile(deps({ embedder: stuck, now: clock.now }), file)
  await expect.poll(() => calls).toBe(2)
  expect(await fileRow(file.vectorStoreId, file.fileId)).toMatchObject({
    status: 'in_progress',
    chunks_done: 2,
    chunks_total: 7,
  })

  // Within its lease, nobody takes the file over.
  const next = await startIngestionWorker(deps({ now: clock.now }), {
    sweepIntervalMs: 0,
    unclaimedAfterMs: 30_000,
  })
  onTestFinished(() => next.close())
  expect(await next.sweep()).toEqual([])
  clock.advance(60_001)
  upstream.reset()
  expect(await next.sweep()).toEqual([{ status: 'completed', chunks: 7, embedded: 5 }])
  // The 2 chunks stored before the crash were not embedded again.
  expect(embeddedInputs()).toHaveLength(5)

  // The dead worker wakes up: it finds the file finished and changes nothing.
  wake()
  expect(await zombie).toEqual({ status: 'skipped' })
  const chunks = await chunkRows(file.fileId)
  expect(chunks.map((c) => c.chunk_index)).toEqual([0, 1, 2, 3, 4, 5, 6])
  expect(await fileRow(file.vectorStoreId, file.fileId)).toMatchObject({
    status: 'completed',
    chunks_done: 7,
  })
})

test('the router down: the file stays in progress and is retried with backoff until it completes', async () => {
  const file = await attach('notes.txt', 'Some notes.\n\nMore notes.')
  const clock = fakeClock()
  upstream.setBehavior({ status: 503, failTimes: 2 })
  const worker = await startIngestionWorker(deps({ now: clock.now }), {
    sweepIntervalMs: 0,
    unclaimedAfterMs: 30_000,
  })
  onTestFinished(() => worker.close())

  const first = await ingestFile(deps({ now: clock.now }), file)
  expect(first).toMatchObject({ status: 'retrying', retryAt: clock.now() + 1_000 })
  expect(await fileRow(file.vectorStoreId, file.fileId)).toMatchObject({
    status: 'in_progress',
    last_error: null,
  })
  expect(await worker.sweep()).toEqual([])
  clock.advance(1_000)
  // Second attempt fails too: the delay doubles.
  expect(await worker.sweep()).toEqual([
    expect.objectContaining({ status: 'retrying', retryAt: clock.now() + 2_000 }),
  ])
  clock.advance(2_000)
  expect(await worker.sweep()).toEqual([{ status: 'completed', chunks: 1, embedded: 1 }])
})

test.each([
  [
    'corrupt.pdf',
    tinyPdf([['A page.']]).slice(0, 80),
    'invalid_file',
    /^the file is not a readable PDF file: /,
  ],
  ['empty.txt', new Uint8Array(), 'invalid_file', /^the file is empty$/],
  ['picture.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47]), 'unsupported_file', /extension \.png/],
])('%s ends failed with a reason, no chunks and no embeddings', async (name, bytes, code, message) => {
  const file = await attach(name, bytes)
  expect(await ingestFile(deps(), file)).toMatchObject({ status: 'failed', code })
  const row = await fileRow(file.vectorStoreId, file.fileId)
  expect(row).toMatchObject({ status: 'failed', last_error: { code } })
  expect(row?.last_error.message).toMatch(message)
  expect(await chunkRows(file.fileId)).toEqual([])
  expect(embeddedInputs()).toEqual([])
})

test('an unknown embedding model is a permanent failure; an overtaken request changes nothing', async () => {
  const file = await attach('a.txt', 'Text.')
  upstream.setBehavior({ status: 404 })
  expect(await ingestFile(deps(), file)).toMatchObject({ status: 'failed', code: 'server_error' })

  const other = await attach('b.txt', 'Text.')
  await pool.query(`UPDATE vector_store_files SET generation = 2 WHERE file_id = $1`, [other.fileId])
  expect(await ingestFile(deps(), other)).toEqual({ status: 'skipped' })
  expect(await fileRow(other.vectorStoreId, other.fileId)).toMatchObject({
    status: 'in_progress',
    chunks_total: null,
  })
})
