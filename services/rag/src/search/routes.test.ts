// The search route in the one-process shape (PGlite + pgvector), the llm-router a stand-in that
// embeds as the fake upstream does: texts sharing words are close.

import type { SqlPool } from '@switchyard/kit'
import { alice, bob, buildTestApp, eve, fakeEmbedding, standIn, type TestApp } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { ragService } from '../service.ts'
import { seedStore } from './test-seed.ts'

const dims = 16
let app: TestApp
const embedded: { model: string; input: string[]; authorization: string | undefined }[] = []

beforeAll(async () => {
  const router = standIn('llm-router', {
    needs: ['sql'],
    register: async (server) => {
      server.post('/v1/embeddings', async (request) => {
        const body = request.body as { model: string; input: string[] }
        embedded.push({ ...body, authorization: request.headers.authorization })
        return {
          object: 'list',
          model: body.model,
          data: body.input.map((text, index) => ({
            object: 'embedding',
            index,
            embedding: fakeEmbedding(text, dims),
          })),
          usage: { prompt_tokens: 1, total_tokens: 1 },
        }
      })
    },
  })
  app = await buildTestApp({ services: { rag: ragService, 'llm-router': router.service } })
  const sql = router.context().sql as SqlPool
  await seedStore(sql, {
    orgId: alice.orgId,
    vectorStoreId: 'vs_manuals',
    dims,
    embed: (text) => fakeEmbedding(text, dims),
    files: [
      {
        fileId: 'file-pump',
        attributes: { kind: 'manual', year: 2024 },
        chunks: ['The pump needs oil every month.', 'Pump pressure is 3 bar.'],
      },
      { fileId: 'file-fan', attributes: { kind: 'memo', year: 2021 }, chunks: ['The fan is loud at night.'] },
    ],
  })
  await sql.query(`UPDATE vector_stores SET access_user_ids = NULL WHERE id = 'vs_manuals'`)
  await seedStore(sql, {
    orgId: alice.orgId,
    vectorStoreId: 'vs_private',
    dims,
    embed: (text) => fakeEmbedding(text, dims),
    files: [{ fileId: 'file-secret', attributes: {}, chunks: ['The pump secret.'] }],
  })
  await sql.query(`UPDATE vector_stores SET access_user_ids = ARRAY['user_alice'] WHERE id = 'vs_private'`)
  // PGlite's first start and the migrations take seconds on a busy machine.
}, 60_000)
afterAll(() => app?.close())

let lastAuthorization: string | undefined
const search = async (body: object, who = alice, store = 'vs_manuals') => {
  const headers = await app.headers(who)
  lastAuthorization = headers.authorization
  return app
    .app('rag')
    .inject({ method: 'POST', url: `/v1/vector_stores/${store}/search`, headers, payload: body })
}

test('answers OpenAI’s page: results with file, filename, score, attributes and content', async () => {
  const res = await search({ query: 'how often does the pump need oil', max_num_results: 2 })
  expect(res.statusCode).toBe(200)
  const page = res.json()
  expect(page).toMatchObject({
    object: 'vector_store.search_results.page',
    search_query: ['how often does the pump need oil'],
    has_more: false,
    next_page: null,
  })
  expect(page.data).toHaveLength(2)
  expect(page.data[0]).toEqual({
    file_id: 'file-pump',
    filename: 'file-pump.txt',
    score: expect.any(Number),
    attributes: { kind: 'manual', year: 2024 },
    content: [{ type: 'text', text: 'The pump needs oil every month.' }],
  })
  expect(page.data[0].score).toBeGreaterThanOrEqual(page.data[1].score)
  // The query was embedded with the store's model, for the caller.
  expect(embedded.at(-1)).toMatchObject({ model: 'fake-embed', input: ['how often does the pump need oil'] })
  expect(embedded.at(-1)?.authorization).toBe(lastAuthorization)
})

test('modes: fulltext embeds nothing; vector and hybrid find the same best chunk', async () => {
  const before = embedded.length
  const text = (await search({ query: 'fan loud', mode: 'fulltext' })).json()
  expect(embedded.length).toBe(before)
  expect(text.data.map((r: { file_id: string }) => r.file_id)).toEqual(['file-fan'])
  for (const mode of ['vector', 'hybrid']) {
    const res = (await search({ query: 'the fan is loud', mode })).json()
    expect(res.data[0].file_id).toBe('file-fan')
  }
})

test('filters on attributes, compound included; a query array searches every string', async () => {
  const memo = (await search({ query: 'pump', filters: { type: 'eq', key: 'kind', value: 'memo' } })).json()
  expect(memo.data.map((r: { file_id: string }) => r.file_id)).toEqual(['file-fan'])
  const recent = await search({
    query: ['pump', 'fan'],
    filters: {
      type: 'and',
      filters: [
        { type: 'gte', key: 'year', value: 2022 },
        { type: 'in', key: 'kind', value: ['manual', 'memo'] },
      ],
    },
  })
  expect(new Set(recent.json().data.map((r: { file_id: string }) => r.file_id))).toEqual(
    new Set(['file-pump']),
  )
  expect(recent.json().search_query).toEqual(['pump', 'fan'])
})

test.each([
  [
    { query: 'x', filters: { type: 'eq', key: 'colour', value: 'red' } },
    'RAG_ERR_UNKNOWN_FILTER_KEY',
    /Unknown filter key colour/,
  ],
  [
    { query: 'x', filters: { type: 'in', key: 'kind', value: 'memo' } },
    'RAG_ERR_INVALID_FILTER',
    /'in' needs an array/,
  ],
  [{ query: 'x', max_num_results: 0 }, undefined, /max_num_results/],
  [{ query: 'x', max_num_results: 51 }, undefined, /max_num_results/],
  [{ query: '' }, undefined, /query/],
  [{ query: 'x', filters: { type: 'like', key: 'kind', value: 'm' } }, undefined, /filters/],
])('%j is a 400 in OpenAI’s error shape', async (body, code, message) => {
  const res = await search(body)
  expect(res.statusCode).toBe(400)
  const { error } = res.json()
  expect(error.type).toBe('invalid_request_error')
  expect(error.message).toMatch(message)
  if (code !== undefined) expect(error.code).toBe(code)
})

test('another org, and a user off the access list, get the 404 of a store that does not exist', async () => {
  for (const [who, store] of [
    [eve, 'vs_manuals'],
    [bob, 'vs_private'],
    [alice, 'vs_missing'],
  ] as const) {
    const res = await search({ query: 'pump' }, who, store)
    expect(res.statusCode).toBe(404)
    expect(res.json().error.code).toBe('RAG_ERR_VECTOR_STORE_NOT_FOUND')
  }
  expect((await search({ query: 'pump secret' }, alice, 'vs_private')).json().data[0].file_id).toBe(
    'file-secret',
  )
})
