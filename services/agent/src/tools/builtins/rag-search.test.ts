import { createRagClient, ragErrorCodes, type SearchResultsPage } from '@switchyard/contracts'
import { MockAgent } from 'undici'
import { expect, onTestFinished, test } from 'vitest'
import { ToolError } from '../tool.ts'
import { ragSearchTool } from './rag-search.ts'
import { callContext } from './test-context.ts'

const origin = 'http://rag.internal'

function rag() {
  const agent = new MockAgent()
  agent.disableNetConnect()
  onTestFinished(() => agent.close())
  return { pool: agent.get(origin), tool: ragSearchTool(createRagClient({ dispatcher: agent, origin })) }
}

test("the search runs at rag with the caller's token, and the model gets the passages", async () => {
  const { pool, tool } = rag()
  const page: SearchResultsPage = {
    object: 'vector_store.search_results.page',
    search_query: ['tides'],
    data: [
      {
        file_id: 'file-1',
        filename: 'moon.md',
        score: 0.75,
        attributes: null,
        content: [
          { type: 'text', text: 'The moon' },
          { type: 'text', text: 'pulls the sea.' },
        ],
      },
    ],
    has_more: false,
    next_page: null,
  }
  let sent: { auth?: string; body?: unknown } = {}
  pool.intercept({ path: '/v1/vector_stores/vs_1/search', method: 'POST' }).reply((request) => {
    sent = {
      auth: (request.headers as Record<string, string>).authorization,
      body: JSON.parse(String(request.body)),
    }
    return { statusCode: 200, data: page }
  })
  const result = await tool.call({ vector_store_id: 'vs_1', query: 'tides' }, callContext())
  expect(sent).toEqual({ auth: 'Bearer tok-alice', body: { query: 'tides', max_num_results: 5 } })
  expect(result).toEqual({
    results: [{ file_id: 'file-1', filename: 'moon.md', score: 0.75, text: 'The moon\npulls the sea.' }],
  })
})

test('a store the caller may not read is a tool error, as if it did not exist', async () => {
  const { pool, tool } = rag()
  pool.intercept({ path: '/v1/vector_stores/vs_theirs/search', method: 'POST' }).reply(404, {
    error: {
      type: 'invalid_request_error',
      message: 'No such vector store',
      code: ragErrorCodes.VectorStoreNotFound,
    },
  })
  const error = await tool
    .call({ vector_store_id: 'vs_theirs', query: 'q' }, callContext())
    .catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ToolError)
  expect((error as Error).message).toBe('no vector store vs_theirs that you may read')
})
