import { MockAgent } from 'undici'
import { expect, onTestFinished, test } from 'vitest'
import { createRagClient } from './client.ts'
import { ragErrorCodes } from './errors.ts'
import type { SearchResultsPage } from './search.ts'

const origin = 'http://rag.internal'
const page: SearchResultsPage = {
  object: 'vector_store.search_results.page',
  search_query: ['tides'],
  data: [
    {
      file_id: 'file-1',
      filename: 'moon.md',
      score: 0.5,
      attributes: null,
      content: [{ type: 'text', text: 'x' }],
    },
  ],
  has_more: false,
  next_page: null,
}

function rag() {
  const agent = new MockAgent()
  agent.disableNetConnect()
  onTestFinished(() => agent.close())
  return { pool: agent.get(origin), client: createRagClient({ dispatcher: agent, origin }) }
}

test("a search sends the caller's token and body to the store's route and answers its page", async () => {
  const { pool, client } = rag()
  let sent: { auth: unknown; body: unknown } | undefined
  pool.intercept({ path: '/v1/vector_stores/vs_a%2Fb/search', method: 'POST' }).reply((request) => {
    sent = {
      auth: (request.headers as Record<string, string>).authorization,
      body: JSON.parse(String(request.body)),
    }
    return { statusCode: 200, data: page }
  })
  const answer = await client.search('vs_a/b', { query: 'tides', max_num_results: 3 }, { token: 'tok' })
  expect(answer).toEqual({ ok: true, status: 200, body: page })
  expect(sent).toEqual({ auth: 'Bearer tok', body: { query: 'tides', max_num_results: 3 } })
})

test("a store the caller may not read is rag's 404 with its code", async () => {
  const { pool, client } = rag()
  pool.intercept({ path: '/v1/vector_stores/vs_other/search', method: 'POST' }).reply(404, {
    error: {
      type: 'invalid_request_error',
      message: 'No such vector store',
      code: ragErrorCodes.VectorStoreNotFound,
    },
  })
  const answer = await client.search('vs_other', { query: 'q' }, { token: 'tok' })
  expect(answer.ok).toBe(false)
  expect(!answer.ok && answer.error?.code).toBe(ragErrorCodes.VectorStoreNotFound)
})
