// The official `openai` client drives rag's files and vector stores API unchanged, through the
// gateway of the one-process shape (API key in, internal token to rag), as any user would.
import { adminService, bootstrapAdmin } from '@switchyard/admin'
import { gatewayService } from '@switchyard/gateway'
import type { SqlPool } from '@switchyard/kit'
import { ragService } from '@switchyard/rag'
import { buildTestApp, standIn, type TestApp } from '@switchyard/testing'
import OpenAI, { toFile } from 'openai'
import { afterAll, beforeAll, expect, test } from 'vitest'

let testApp: TestApp
let openai: OpenAI
/** A second org's client: it must see none of the first's. */
let stranger: OpenAI

beforeAll(async () => {
  // Holds the SQL port, so the test can bootstrap admin as `switchyard admin bootstrap` would.
  const keeper = standIn('agent', { needs: ['sql'] })
  testApp = await buildTestApp({
    services: {
      gateway: gatewayService,
      'llm-router': standIn('llm-router').service,
      rag: ragService,
      admin: adminService,
      agent: keeper.service,
    },
    listen: true,
  })
  const sql = keeper.context().sql as SqlPool
  const acme = await bootstrapAdmin(sql, { orgName: 'Acme', ownerEmail: 'owner@acme.test' })
  openai = new OpenAI({ baseURL: `${testApp.url}/v1`, apiKey: acme.key, maxRetries: 0 })
  const other = await fetch(`${testApp.url}/admin/v1/orgs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${acme.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Other', ownerEmail: 'owner@other.test' }),
  })
  expect(other.status, await other.clone().text()).toBe(201)
  const { secret } = (await other.json()) as { secret: string }
  stranger = new OpenAI({ baseURL: `${testApp.url}/v1`, apiKey: secret, maxRetries: 0 })
}, 120_000)

afterAll(() => testApp?.close())

test('files: create, retrieve, list, content, delete', async () => {
  const text = '# Cranes\n\nCranes fly south in winter.\n'
  const file = await openai.files.create({
    file: await toFile(Buffer.from(text), 'cranes.md'),
    purpose: 'assistants',
  })
  expect(file).toMatchObject({
    object: 'file',
    bytes: Buffer.byteLength(text),
    filename: 'cranes.md',
    purpose: 'assistants',
  })
  expect(file.id).toMatch(/^file-/)

  expect(await openai.files.retrieve(file.id)).toEqual(file)
  const listed = []
  for await (const one of openai.files.list({ limit: 1 })) listed.push(one.id)
  expect(listed).toContain(file.id)
  expect(await (await openai.files.content(file.id)).text()).toBe(text)

  await expect(stranger.files.retrieve(file.id)).rejects.toMatchObject({ status: 404 })
  expect(await openai.files.delete(file.id)).toEqual({ id: file.id, object: 'file', deleted: true })
  await expect(openai.files.retrieve(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError)
})

test('vector stores: create, retrieve, update, list with auto-pagination, delete', async () => {
  const created = []
  for (const name of ['a', 'b', 'c'])
    created.push(await openai.vectorStores.create({ name, metadata: { n: name } }))
  const [first] = created
  expect(first).toMatchObject({
    object: 'vector_store',
    name: 'a',
    status: 'completed',
    file_counts: { total: 0 },
  })

  expect(await openai.vectorStores.retrieve(first?.id as string)).toEqual(first)
  const renamed = await openai.vectorStores.update(first?.id as string, {
    name: 'renamed',
    expires_after: { anchor: 'last_active_at', days: 2 },
  })
  expect(renamed).toMatchObject({ name: 'renamed', expires_after: { anchor: 'last_active_at', days: 2 } })

  // Pages of one: the client follows `after` with `has_more` until the end.
  const ids = []
  for await (const store of openai.vectorStores.list({ limit: 1, order: 'asc' })) ids.push(store.id)
  expect(ids).toEqual(created.map((s) => s.id))
  const strangers = await stranger.vectorStores.list()
  expect(strangers.data).toEqual([])

  expect(await openai.vectorStores.delete(first?.id as string)).toEqual({
    id: first?.id,
    object: 'vector_store.deleted',
    deleted: true,
  })
  await expect(openai.vectorStores.retrieve(first?.id as string)).rejects.toMatchObject({ status: 404 })
})

test('vector store files and batches: attach, list, retrieve, cancel, detach', async () => {
  const store = await openai.vectorStores.create({ name: 'docs' })
  const files = []
  for (const name of ['one.txt', 'two.txt', 'three.txt']) {
    files.push(
      await openai.files.create({
        file: await toFile(Buffer.from(`text of ${name}`), name),
        purpose: 'assistants',
      }),
    )
  }
  const [one, two, three] = files as [OpenAI.FileObject, OpenAI.FileObject, OpenAI.FileObject]

  const attached = await openai.vectorStores.files.create(store.id, {
    file_id: one.id,
    attributes: { lang: 'en' },
  })
  expect(attached).toMatchObject({
    id: one.id,
    object: 'vector_store.file',
    status: 'in_progress',
    attributes: { lang: 'en' },
  })
  expect(await openai.vectorStores.files.retrieve(one.id, { vector_store_id: store.id })).toMatchObject({
    id: one.id,
  })

  const batch = await openai.vectorStores.fileBatches.create(store.id, { file_ids: [two.id, three.id] })
  expect(batch).toMatchObject({
    object: 'vector_store.files_batch',
    status: 'in_progress',
    file_counts: { total: 2 },
  })
  const inBatch = await openai.vectorStores.fileBatches.listFiles(batch.id, { vector_store_id: store.id })
  expect(inBatch.data.map((f) => f.id).sort()).toEqual([two.id, three.id].sort())
  const cancelled = await openai.vectorStores.fileBatches.cancel(batch.id, { vector_store_id: store.id })
  expect(cancelled).toMatchObject({ status: 'cancelled', file_counts: { cancelled: 2 } })
  expect(await openai.vectorStores.fileBatches.retrieve(batch.id, { vector_store_id: store.id })).toEqual(
    cancelled,
  )

  const all = await openai.vectorStores.files.list(store.id)
  // Newest attachment first.
  expect(all.data.map((f) => f.id)).toEqual([three.id, two.id, one.id])
  expect((await openai.vectorStores.retrieve(store.id)).file_counts).toEqual({
    in_progress: 1,
    completed: 0,
    failed: 0,
    cancelled: 2,
    total: 3,
  })
  expect(await openai.vectorStores.files.delete(one.id, { vector_store_id: store.id })).toEqual({
    id: one.id,
    object: 'vector_store.file.deleted',
    deleted: true,
  })
  expect((await openai.vectorStores.retrieve(store.id)).file_counts.total).toBe(2)
})

test('bad input reaches the client as OpenAI errors with stable codes', async () => {
  await expect(
    openai.files.create({ file: await toFile(Buffer.from('x'), 'x.jsonl'), purpose: 'fine-tune' }),
  ).rejects.toMatchObject({ status: 400, code: 'RAG_ERR_UNSUPPORTED_PURPOSE', param: 'purpose' })
  await expect(openai.vectorStores.list({ limit: 101 })).rejects.toMatchObject({
    status: 400,
    param: 'limit',
  })
  await expect(
    openai.vectorStores.create({
      chunking_strategy: {
        type: 'static',
        static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 150 },
      },
    }),
  ).rejects.toMatchObject({ status: 400, code: 'RAG_ERR_INVALID_REQUEST' })
})
