// The answer route in the one-process shape; the llm-router a stand-in that embeds as the fake
// upstream does and passes chat completions to the fake OpenAI upstream (streaming included).
import { Readable } from 'node:stream'
import type { SqlPool } from '@switchyard/kit'
import {
  alice,
  buildTestApp,
  eve,
  type FakeUpstream,
  fakeEmbedding,
  standIn,
  startFakeOpenAI,
  type TestApp,
} from '@switchyard/testing'
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest'
import { ragService } from '../../service.ts'
import { seedStore } from '../test-seed.ts'

const dims = 16
let app: TestApp
let upstream: FakeUpstream

beforeAll(async () => {
  upstream = await startFakeOpenAI()
  const router = standIn('llm-router', {
    needs: ['sql'],
    register: async (server) => {
      server.post('/v1/embeddings', async (request) => {
        const body = request.body as { model: string; input: string[] }
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
      server.post('/v1/chat/completions', async (request, reply) => {
        const res = await fetch(`${upstream.url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(request.body),
        })
        reply.code(res.status).header('content-type', res.headers.get('content-type') ?? 'application/json')
        return reply.send(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream))
      })
    },
  })
  app = await buildTestApp({ services: { rag: ragService, 'llm-router': router.service } })
  await seedStore(router.context().sql as SqlPool, {
    orgId: alice.orgId,
    vectorStoreId: 'vs_pumps',
    dims,
    embed: (text) => fakeEmbedding(text, dims),
    files: [
      {
        fileId: 'file-pump',
        attributes: {},
        chunks: ['The pump needs oil every month.', 'Pump pressure is 3 bar.'],
      },
    ],
  })
}, 60_000)
afterAll(async () => {
  await app?.close()
  await upstream?.close()
})
beforeEach(() => upstream.reset())

const ask = async (body: object, who = alice) =>
  app.app('rag').inject({
    method: 'POST',
    url: '/v1/vector_stores/vs_pumps/answer',
    headers: await app.headers(who),
    payload: body,
  })

/** The events of an SSE body, in order. */
function events(body: string): { event: string; data: unknown }[] {
  return body
    .split('\n\n')
    .filter((block) => block.includes('data:'))
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message'
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? ''
      return { event, data: JSON.parse(data) }
    })
}

test('streams retrieval, deltas, checked citations, usage and done; an invented quote never shows', async () => {
  upstream.setBehavior({
    reply:
      'Oil it monthly [1: "needs oil every month"] and keep it at 3 bar [2: "pressure is 3 bar"] or at 9 bar [2: "9 bar is fine"].',
  })
  const res = await ask({ question: 'how do I look after the pump', model: 'fake-chat' })
  expect(res.statusCode).toBe(200)
  expect(res.headers['content-type']).toMatch(/^text\/event-stream/)
  const all = events(res.body)
  expect(all.map((e) => e.event).filter((e, i, a) => e !== 'delta' || a[i - 1] !== 'delta')).toEqual([
    'retrieval',
    'delta',
    'citation',
    'delta',
    'citation',
    'delta',
    'usage',
    'done',
  ])
  const retrieval = all[0]?.data as { sources: { source: number; chunk_index: number; file_id: string }[] }
  expect(retrieval.sources.map((s) => s.source)).toEqual([1, 2])
  const text = all
    .filter((e) => e.event === 'delta')
    .map((e) => (e.data as { text: string }).text)
    .join('')
  expect(text).toBe('Oil it monthly [1] and keep it at 3 bar [2] or at 9 bar .')
  expect(res.body).not.toContain('9 bar is fine')
  const citations = all.filter((e) => e.event === 'citation').map((e) => e.data)
  // Offsets point into the file's text, where the quote really is.
  const byIndex = new Map(retrieval.sources.map((s) => [s.source, s.chunk_index]))
  expect(citations).toEqual([
    expect.objectContaining({
      source: 1,
      file_id: 'file-pump',
      chunk_index: byIndex.get(1),
      quote: 'needs oil every month',
    }),
    expect.objectContaining({
      source: 2,
      file_id: 'file-pump',
      chunk_index: byIndex.get(2),
      quote: 'Pump pressure is 3 bar'.slice(5),
    }),
  ])
  // The model saw the numbered sources.
  const sent = upstream.requests.at(-1)?.body as { messages: { role: string; content: string }[] }
  expect(sent.messages[0]?.content).toContain('[1] (file-pump.txt)')
})

test('stream: false answers once, with the same checks', async () => {
  upstream.setBehavior({ reply: 'Monthly [1: "NEEDS OIL"] not weekly [1: "every week"].' })
  const res = await ask({ question: 'pump oil', model: 'fake-chat', stream: false })
  expect(res.statusCode).toBe(200)
  const body = res.json()
  expect(body).toMatchObject({
    object: 'vector_store.answer',
    model: 'fake-chat',
    answer: 'Monthly [1] not weekly .',
  })
  expect(body.citations).toHaveLength(1)
  expect(body.citations[0].quote).toBe('needs oil')
  expect(body.usage.total_tokens).toBeGreaterThan(0)
})

test('max_tokens bounds the answer at the model', async () => {
  upstream.setBehavior({ reply: 'one two three four five six seven eight' })
  const res = await ask({ question: 'pump oil', model: 'fake-chat', stream: false, max_tokens: 3 })
  expect(res.statusCode).toBe(200)
  const sent = upstream.requests.at(-1)?.body as { max_tokens?: number } | undefined
  expect(sent?.max_tokens).toBe(3)
  expect(res.json()).toMatchObject({ answer: 'one two three', usage: { completion_tokens: 3 } })
})

test('another org gets a 404 and no model call', async () => {
  const res = await ask({ question: 'pump', model: 'fake-chat' }, eve)
  expect(res.statusCode).toBe(404)
  expect(upstream.requests).toEqual([])
})
