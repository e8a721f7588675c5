// Rag checks the scopes of its routes itself: an admin:read-only key must not read or change
// files and vector stores, nor spend through rag's calls to the router.
import { scopes } from '@switchyard/contracts'
import { alice } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type RagUnderTest, startRag } from './test-support.ts'

let rag: RagUnderTest
beforeAll(async () => {
  rag = await startRag()
}, 60_000)
afterAll(async () => rag?.close())

test('an admin:read-only key gets 403 KIT_ERR_MISSING_SCOPE on files and vector stores', async () => {
  const adminReader = { ...alice, scopes: [scopes.adminRead] }
  const store = await rag.request(alice, 'POST', '/v1/vector_stores', { name: 'docs' })
  expect(store.statusCode).toBe(200)
  const id = store.json().id as string
  const attempts = [
    ['GET', '/v1/files', undefined],
    ['GET', '/v1/vector_stores', undefined],
    ['POST', '/v1/vector_stores', { name: 'mine' }],
    ['DELETE', `/v1/vector_stores/${id}`, undefined],
    ['POST', `/v1/vector_stores/${id}/search`, { query: 'anything' }],
    ['POST', `/v1/vector_stores/${id}/answer`, { question: 'anything' }],
  ] as const
  for (const [method, url, body] of attempts) {
    const res = await rag.request(adminReader, method, url, body)
    expect(res.statusCode, `${method} ${url}`).toBe(403)
    expect(res.json().error).toMatchObject({ code: 'KIT_ERR_MISSING_SCOPE', type: 'permission_error' })
  }
  const upload = await rag.upload(adminReader, { name: 'a.txt', content: 'hello' })
  expect(upload.statusCode).toBe(403)
  // Untouched for its owner.
  expect((await rag.request(alice, 'GET', `/v1/vector_stores/${id}`)).statusCode).toBe(200)
})

test('files:read reads but does not write; search and answers also need llm:use', async () => {
  const reader = { ...alice, scopes: [scopes.filesRead] }
  expect((await rag.request(reader, 'GET', '/v1/vector_stores')).statusCode).toBe(200)
  const write = await rag.request(reader, 'POST', '/v1/vector_stores', { name: 'x' })
  expect(write.statusCode).toBe(403)
  expect(write.json().error.message).toContain(scopes.filesWrite)
  const search = await rag.request(reader, 'POST', '/v1/vector_stores/vs_missing/search', { query: 'q' })
  expect(search.statusCode).toBe(403)
  expect(search.json().error.message).toContain(scopes.llmUse)
})
