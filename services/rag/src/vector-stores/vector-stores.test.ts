import { type RagIngestV1, ragIngestV1 } from '@switchyard/contracts'
import type { EventEnvelope } from '@switchyard/events'
import { alice, bob, recordEvents } from '@switchyard/testing'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RagUnderTest, startRag } from '../test-support.ts'

let rag: RagUnderTest
let ingest: EventEnvelope<RagIngestV1>[]

beforeAll(async () => {
  rag = await startRag({ RAG_DEFAULT_EMBEDDING_MODEL: 'embed-small' })
  ingest = await recordEvents(rag.peer.context().bus, ragIngestV1)
}, 60_000)
afterAll(() => rag?.close())

/** A fresh org per test: counts and lists start empty. */
let orgs = 0
const member = (base = alice) => ({ ...base, orgId: `org_vs_${++orgs}` })

const upload = async (who: typeof alice, name = 'doc.txt') =>
  (await rag.upload(who, { name, content: `text of ${name}` })).json().id as string

const createStore = async (who: typeof alice, body: object = {}) => {
  const res = await rag.request(who, 'POST', '/v1/vector_stores', body)
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

/** The ingest events for a file, once the relay published them. */
const eventsFor = (fileId: string) => ingest.filter((e) => e.data.fileId === fileId).map((e) => e.data)

/** What the ingestion worker does when it finishes a file: the API only reads rows. */
async function workerFinishes(storeId: string, fileId: string, status: 'completed' | 'failed') {
  await rag.peer.context().sql?.query(
    `UPDATE vector_store_files SET status = $3, chunks_done = 3, chunks_total = 3, usage_bytes = 300,
            last_error = CASE WHEN $3 = 'failed' THEN '{"code":"RAG_ERR_PARSE","message":"bad"}'::jsonb END
      WHERE vector_store_id = $1 AND file_id = $2`,
    [storeId, fileId, status],
  )
}

describe('vector stores', () => {
  test('a new store has OpenAI shape, the default embedding model and auto chunking', async () => {
    const who = member()
    const store = await createStore(who, { name: 'Support FAQ', metadata: { team: 'support' } })
    expect(store).toMatchObject({
      object: 'vector_store',
      name: 'Support FAQ',
      usage_bytes: 0,
      file_counts: { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 },
      status: 'completed',
      expires_after: null,
      expires_at: null,
      metadata: { team: 'support' },
      embedding_model: 'embed-small',
      chunking_strategy: {
        type: 'static',
        static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 },
      },
      access: null,
    })
    expect(store.id).toMatch(/^vs_[0-9A-Za-z]{22}$/)
    expect((await rag.request(who, 'GET', `/v1/vector_stores/${store.id}`)).json()).toEqual(store)
  })

  test('expires_after sets expires_at that many days after the last activity', async () => {
    const store = await createStore(member(), { expires_after: { anchor: 'last_active_at', days: 7 } })
    expect(store.expires_at - store.last_active_at).toBe(7 * 86_400)
    const cleared = await rag.request(member(), 'POST', `/v1/vector_stores/${store.id}`, {
      expires_after: null,
    })
    // Another org's member cannot change it.
    expect(cleared.statusCode).toBe(404)
  })

  test('static chunking: 100 to 4096 tokens, overlap at most half; else a 400 naming the field', async () => {
    const who = member()
    const ok = await createStore(who, {
      chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 50 } },
    })
    expect(ok.chunking_strategy.static).toEqual({ max_chunk_size_tokens: 100, chunk_overlap_tokens: 50 })
    const cases: [object, string, string][] = [
      [
        { max_chunk_size_tokens: 100, chunk_overlap_tokens: 51 },
        'RAG_ERR_INVALID_REQUEST',
        'chunking_strategy.static.chunk_overlap_tokens',
      ],
      [{ max_chunk_size_tokens: 99, chunk_overlap_tokens: 0 }, 'KIT_ERR_VALIDATION', 'chunking_strategy'],
      [{ max_chunk_size_tokens: 4097, chunk_overlap_tokens: 0 }, 'KIT_ERR_VALIDATION', 'chunking_strategy'],
    ]
    for (const [sizes, code, param] of cases) {
      const res = await rag.request(who, 'POST', '/v1/vector_stores', {
        chunking_strategy: { type: 'static', static: sizes },
      })
      expect(res.statusCode, JSON.stringify(sizes)).toBe(400)
      expect(res.json().error.code).toBe(code)
      expect(res.json().error.param).toContain(param)
    }
    expect((await rag.request(who, 'GET', '/v1/vector_stores')).json().data).toHaveLength(1)
  })

  test('lists page newest first with after/before, and out-of-range limits are 400s', async () => {
    const who = member()
    const ids: string[] = []
    for (let i = 0; i < 3; i++) ids.push((await createStore(who, { name: `s${i}` })).id)
    const page = (await rag.request(who, 'GET', '/v1/vector_stores?limit=2')).json()
    expect(page.data.map((s: { id: string }) => s.id)).toEqual([ids[2], ids[1]])
    expect(page).toMatchObject({ has_more: true, first_id: ids[2], last_id: ids[1] })
    const next = (await rag.request(who, 'GET', `/v1/vector_stores?limit=2&after=${page.last_id}`)).json()
    expect(next).toMatchObject({ has_more: false, data: [{ id: ids[0] }] })
    const asc = (await rag.request(who, 'GET', `/v1/vector_stores?order=asc&after=${ids[0]}`)).json()
    expect(asc.data.map((s: { id: string }) => s.id)).toEqual([ids[1], ids[2]])
    for (const query of ['limit=0', 'limit=101', 'order=up', 'before=file-abc']) {
      expect((await rag.request(who, 'GET', `/v1/vector_stores?${query}`)).statusCode, query).toBe(400)
    }
  })

  test('delete removes the store and its attachments, not the files', async () => {
    const who = member()
    const fileId = await upload(who)
    const store = await createStore(who, { file_ids: [fileId] })
    const res = await rag.request(who, 'DELETE', `/v1/vector_stores/${store.id}`)
    expect(res.json()).toEqual({ id: store.id, object: 'vector_store.deleted', deleted: true })
    expect((await rag.request(who, 'GET', `/v1/vector_stores/${store.id}`)).statusCode).toBe(404)
    expect((await rag.request(who, 'GET', `/v1/vector_stores/${store.id}/files/${fileId}`)).statusCode).toBe(
      404,
    )
    expect((await rag.request(who, 'GET', `/v1/files/${fileId}`)).statusCode).toBe(200)
  })
})

describe('attaching files', () => {
  test('answers in_progress at once, announces rag.ingest.v1, and the counts follow the worker', async () => {
    const who = member()
    const store = await createStore(who)
    const fileId = await upload(who)
    const res = await rag.request(who, 'POST', `/v1/vector_stores/${store.id}/files`, {
      file_id: fileId,
      attributes: { lang: 'en', year: 2024, public: true },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({
      id: fileId,
      object: 'vector_store.file',
      vector_store_id: store.id,
      status: 'in_progress',
      last_error: null,
      attributes: { lang: 'en', year: 2024, public: true },
      chunking_strategy: store.chunking_strategy,
      chunks_done: 0,
      chunks_total: null,
    })
    await expect.poll(() => eventsFor(fileId)).toHaveLength(1)
    expect(eventsFor(fileId)[0]).toMatchObject({
      orgId: who.orgId,
      vectorStoreId: store.id,
      generation: 1,
      reason: 'attached',
      requestedBy: { userId: who.userId, keyId: who.keyId },
    })
    expect(ingest.find((e) => e.data.fileId === fileId)?.key).toBe(`${store.id}/${fileId}`)

    const during = (await rag.request(who, 'GET', `/v1/vector_stores/${store.id}`)).json()
    expect(during).toMatchObject({ status: 'in_progress', file_counts: { in_progress: 1, total: 1 } })
    await workerFinishes(store.id, fileId, 'completed')
    const after = (await rag.request(who, 'GET', `/v1/vector_stores/${store.id}`)).json()
    expect(after).toMatchObject({
      status: 'completed',
      usage_bytes: 300,
      file_counts: { completed: 1, total: 1 },
    })
    const file = (await rag.request(who, 'GET', `/v1/vector_stores/${store.id}/files/${fileId}`)).json()
    expect(file).toMatchObject({ status: 'completed', chunks_done: 3, chunks_total: 3 })

    // Attached again: ingested again, with the next generation; attributes kept when not named.
    const again = (
      await rag.request(who, 'POST', `/v1/vector_stores/${store.id}/files`, { file_id: fileId })
    ).json()
    expect(again).toMatchObject({
      status: 'in_progress',
      attributes: { lang: 'en', year: 2024, public: true },
    })
    await expect.poll(() => eventsFor(fileId).map((e) => e.generation)).toEqual([1, 2])
  })

  test("an unknown file, or another org's, is a 404 and nothing is attached", async () => {
    const who = member()
    const theirs = await upload(member())
    const store = await createStore(who)
    for (const fileId of [theirs, 'file-0000000000000000000000']) {
      const res = await rag.request(who, 'POST', `/v1/vector_stores/${store.id}/files`, { file_id: fileId })
      expect(res.statusCode).toBe(404)
      expect(res.json().error).toMatchObject({ code: 'RAG_ERR_FILE_NOT_FOUND', param: 'file_id' })
    }
    expect((await rag.request(who, 'GET', `/v1/vector_stores/${store.id}/files`)).json().data).toEqual([])
    expect(eventsFor(theirs)).toEqual([])
  })

  test('attributes: at most 16 keys of string, number or boolean', async () => {
    const who = member()
    const store = await createStore(who)
    const fileId = await upload(who)
    const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]))
    for (const attributes of [tooMany, { nested: { a: 1 } }, { list: [1] }]) {
      const res = await rag.request(who, 'POST', `/v1/vector_stores/${store.id}/files`, {
        file_id: fileId,
        attributes,
      })
      expect(res.statusCode, JSON.stringify(attributes)).toBe(400)
      expect(res.json().error.param).toMatch(/^attributes/)
    }
    await rag.request(who, 'POST', `/v1/vector_stores/${store.id}/files`, { file_id: fileId })
    const changed = await rag.request(who, 'POST', `/v1/vector_stores/${store.id}/files/${fileId}`, {
      attributes: { tier: 'gold' },
    })
    expect(changed.json().attributes).toEqual({ tier: 'gold' })
  })

  test('the embedding model changes only while the store holds no file', async () => {
    const who = member()
    const store = await createStore(who)
    const changed = await rag.request(who, 'POST', `/v1/vector_stores/${store.id}`, {
      embedding_model: 'embed-large',
    })
    expect(changed.json().embedding_model).toBe('embed-large')
    await rag.request(who, 'POST', `/v1/vector_stores/${store.id}/files`, { file_id: await upload(who) })
    const refused = await rag.request(who, 'POST', `/v1/vector_stores/${store.id}`, {
      embedding_model: 'embed-small',
    })
    expect(refused.statusCode).toBe(400)
    expect(refused.json().error).toMatchObject({
      code: 'RAG_ERR_EMBEDDING_MODEL_FIXED',
      param: 'embedding_model',
    })
    // The same model again is no change.
    const same = await rag.request(who, 'POST', `/v1/vector_stores/${store.id}`, {
      embedding_model: 'embed-large',
      name: 'n',
    })
    expect(same.json()).toMatchObject({ embedding_model: 'embed-large', name: 'n' })
  })

  test('a new chunking strategy re-chunks every file of the store', async () => {
    const who = member()
    const files = [await upload(who, 'a.txt'), await upload(who, 'b.txt')]
    const store = await createStore(who, { file_ids: files })
    for (const fileId of files) await workerFinishes(store.id, fileId, 'completed')
    const strategy = { type: 'static', static: { max_chunk_size_tokens: 300, chunk_overlap_tokens: 30 } }
    const res = await rag.request(who, 'POST', `/v1/vector_stores/${store.id}`, {
      chunking_strategy: strategy,
    })
    expect(res.json()).toMatchObject({
      chunking_strategy: strategy,
      file_counts: { in_progress: 2, completed: 0 },
    })
    for (const fileId of files) {
      await expect
        .poll(() => eventsFor(fileId).map((e) => [e.generation, e.reason]))
        .toEqual([
          [1, 'attached'],
          [2, 'rechunk'],
        ])
    }
    const listed = (await rag.request(who, 'GET', `/v1/vector_stores/${store.id}/files`)).json()
    expect(listed.data.map((f: { chunking_strategy: unknown }) => f.chunking_strategy)).toEqual([
      strategy,
      strategy,
    ])
  })

  test('vector store files list in attachment order, filter by status, and detach', async () => {
    const who = member()
    const store = await createStore(who)
    const files = [await upload(who, '1.txt'), await upload(who, '2.txt'), await upload(who, '3.txt')]
    // Attached in another order than uploaded: the list follows the attachment.
    for (const fileId of [files[2], files[0], files[1]]) {
      await rag.request(who, 'POST', `/v1/vector_stores/${store.id}/files`, { file_id: fileId })
    }
    await workerFinishes(store.id, files[0] as string, 'failed')
    const all = (await rag.request(who, 'GET', `/v1/vector_stores/${store.id}/files?order=asc`)).json()
    expect(all.data.map((f: { id: string }) => f.id)).toEqual([files[2], files[0], files[1]])
    const page = (
      await rag.request(who, 'GET', `/v1/vector_stores/${store.id}/files?order=asc&limit=1&after=${files[2]}`)
    ).json()
    expect(page).toMatchObject({ data: [{ id: files[0] }], has_more: true })
    const failed = (await rag.request(who, 'GET', `/v1/vector_stores/${store.id}/files?filter=failed`)).json()
    expect(failed.data).toMatchObject([
      { id: files[0], status: 'failed', last_error: { code: 'RAG_ERR_PARSE' } },
    ])

    const detached = await rag.request(who, 'DELETE', `/v1/vector_stores/${store.id}/files/${files[0]}`)
    expect(detached.json()).toEqual({ id: files[0], object: 'vector_store.file.deleted', deleted: true })
    expect((await rag.request(who, 'GET', `/v1/vector_stores/${store.id}`)).json().file_counts.total).toBe(2)
    expect((await rag.request(who, 'GET', `/v1/files/${files[0]}`)).statusCode).toBe(200)
  })
})

describe('file batches', () => {
  test('attach several files at once; the batch counts them; cancel stops those in progress', async () => {
    const who = member()
    const store = await createStore(who)
    const files = [await upload(who, 'x.txt'), await upload(who, 'y.txt'), await upload(who, 'z.txt')]
    const res = await rag.request(who, 'POST', `/v1/vector_stores/${store.id}/file_batches`, {
      file_ids: files,
      attributes: { source: 'batch' },
    })
    expect(res.statusCode, res.body).toBe(200)
    const batch = res.json()
    expect(batch).toMatchObject({
      object: 'vector_store.files_batch',
      vector_store_id: store.id,
      status: 'in_progress',
      file_counts: { in_progress: 3, completed: 0, failed: 0, cancelled: 0, total: 3 },
    })
    expect(batch.id).toMatch(/^vsfb_[0-9A-Za-z]{22}$/)
    for (const fileId of files) await expect.poll(() => eventsFor(fileId)).toHaveLength(1)

    await workerFinishes(store.id, files[0] as string, 'completed')
    const listed = (
      await rag.request(
        who,
        'GET',
        `/v1/vector_stores/${store.id}/file_batches/${batch.id}/files?filter=in_progress`,
      )
    ).json()
    expect(listed.data.map((f: { id: string }) => f.id).sort()).toEqual([files[1], files[2]].sort())
    expect(listed.data[0].attributes).toEqual({ source: 'batch' })

    const cancelled = (
      await rag.request(who, 'POST', `/v1/vector_stores/${store.id}/file_batches/${batch.id}/cancel`)
    ).json()
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      file_counts: { completed: 1, cancelled: 2, in_progress: 0 },
    })
    expect(
      (await rag.request(who, 'GET', `/v1/vector_stores/${store.id}/file_batches/${batch.id}`)).json(),
    ).toEqual(cancelled)
    // The cancelled files' generation moved on: a worker still holding generation 1 writes nothing.
    const { rows } = (await rag.peer
      .context()
      .sql?.query<{ generation: number }>(
        `SELECT generation FROM vector_store_files WHERE batch_id = $1 AND status = 'cancelled'`,
        [batch.id],
      )) ?? { rows: [] }
    expect(rows.map((r) => r.generation)).toEqual([2, 2])
  })

  test('one unknown file refuses the whole batch: no batch, no attachment, no event', async () => {
    const who = member()
    const store = await createStore(who)
    const known = await upload(who)
    const res = await rag.request(who, 'POST', `/v1/vector_stores/${store.id}/file_batches`, {
      files: [{ file_id: known }, { file_id: 'file-0000000000000000000000' }],
    })
    expect(res.statusCode).toBe(404)
    expect(res.json().error).toMatchObject({ code: 'RAG_ERR_FILE_NOT_FOUND', param: 'files' })
    expect((await rag.request(who, 'GET', `/v1/vector_stores/${store.id}/files`)).json().data).toEqual([])
    const { rows } = (await rag.peer
      .context()
      .sql?.query('SELECT 1 FROM file_batches WHERE vector_store_id = $1', [store.id])) ?? { rows: [1] }
    expect(rows).toEqual([])
    expect(eventsFor(known)).toEqual([])
  })

  test('file_ids and files together, or neither, is a 400', async () => {
    const who = member()
    const store = await createStore(who)
    for (const body of [{}, { file_ids: ['file-a'], files: [{ file_id: 'file-a' }] }]) {
      const res = await rag.request(who, 'POST', `/v1/vector_stores/${store.id}/file_batches`, body)
      expect(res.statusCode).toBe(400)
      expect(res.json().error.code).toBe('RAG_ERR_INVALID_REQUEST')
    }
  })
})

describe('access lists (Switchyard extension)', () => {
  test('a store listing users is a 404 on every route for anyone else in the org', async () => {
    const owner = member()
    const colleague = { ...bob, orgId: owner.orgId }
    const fileId = await upload(owner)
    const store = await createStore(owner, { access: { user_ids: [] }, file_ids: [fileId] })
    expect(store.access).toEqual({ user_ids: [owner.userId] })
    const batch = (
      await rag.request(owner, 'POST', `/v1/vector_stores/${store.id}/file_batches`, { file_ids: [fileId] })
    ).json()
    const base = `/v1/vector_stores/${store.id}`
    const calls: [string, string, object?][] = [
      ['GET', base],
      ['POST', base, { name: 'mine now' }],
      ['DELETE', base],
      ['GET', `${base}/files`],
      ['POST', `${base}/files`, { file_id: fileId }],
      ['GET', `${base}/files/${fileId}`],
      ['POST', `${base}/files/${fileId}`, { attributes: {} }],
      ['DELETE', `${base}/files/${fileId}`],
      ['POST', `${base}/file_batches`, { file_ids: [fileId] }],
      ['GET', `${base}/file_batches/${batch.id}`],
      ['POST', `${base}/file_batches/${batch.id}/cancel`],
      ['GET', `${base}/file_batches/${batch.id}/files`],
    ]
    for (const [method, url, body] of calls) {
      const res = await rag.request(colleague, method, url, body)
      expect(res.statusCode, `${method} ${url}`).toBe(404)
      expect(res.json().error.code, `${method} ${url}`).toBe('RAG_ERR_VECTOR_STORE_NOT_FOUND')
    }
    expect((await rag.request(colleague, 'GET', '/v1/vector_stores')).json().data).toEqual([])
    // Opened to the org, the colleague sees it; nothing they tried changed it.
    const opened = (await rag.request(owner, 'POST', base, { access: null })).json()
    expect(opened).toMatchObject({ access: null, name: null, file_counts: { total: 1 } })
    expect((await rag.request(colleague, 'GET', base)).statusCode).toBe(200)
  })
})
