import { countTokens, fakeEmbedding, startFakeOpenAI } from '@switchyard/testing'
import { expect, onTestFinished, test } from 'vitest'
import { errorBody, expectVectorClose, oneModel, startRouter } from '../router-under-test.ts'

async function embeddingRouter() {
  const upstream = await startFakeOpenAI({ models: ['bge-small'] })
  onTestFinished(() => upstream.close())
  const router = await startRouter(
    oneModel('embedder', { provider: 'openai', baseUrl: upstream.url, model: 'bge-small' }),
  )
  return { upstream, router }
}

test('one input: an embedding under the alias, with the upstream usage', async () => {
  const { upstream, router } = await embeddingRouter()
  const { data, response } = await router.openai.embeddings
    .create({ model: 'embedder', input: 'a quiet harbour', encoding_format: 'float', dimensions: 16 })
    .withResponse()
  expect(data.model).toBe('embedder')
  expect(data.data).toHaveLength(1)
  const want = fakeEmbedding('a quiet harbour', 16)
  expectVectorClose(data.data[0]?.embedding, want)
  const tokens = countTokens('a quiet harbour')
  expect(data.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens })
  expect(response.headers.get('x-switchyard-deployment')).toBe('embedder-1')
  expect(upstream.requests[0]?.body).toMatchObject({ model: 'bge-small', dimensions: 16 })
})

test('a batch, base64 by default in the official client, keeps input order', async () => {
  const { router } = await embeddingRouter()
  const inputs = ['north', 'south wind', 'east of eden', 'west']
  const { data, usage } = await router.openai.embeddings.create({ model: 'embedder', input: inputs })
  expect(data.map((d) => d.index)).toEqual(inputs.map((_, i) => i))
  for (const [i, d] of data.entries()) {
    const want = fakeEmbedding(inputs[i] as string, 64)
    expectVectorClose(d.embedding, want)
  }
  const tokens = inputs.reduce((sum, text) => sum + countTokens(text), 0)
  expect(usage.prompt_tokens).toBe(tokens)
})

test('an empty input is a 400 from the contract schema, before any upstream call', async () => {
  const { upstream, router } = await embeddingRouter()
  const res = await fetch(`${router.url}/v1/embeddings`, {
    method: 'POST',
    headers: { ...router.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'embedder', input: [] }),
  })
  expect(res.status).toBe(400)
  expect((await errorBody(res)).error.param).toBe('input')
  expect(upstream.requests).toHaveLength(0)
})
