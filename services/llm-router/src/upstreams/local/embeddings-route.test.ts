// The local provider's embeddings through the router's /v1/embeddings route, on the tiny GGUF from
// @switchyard/testing: what a caller sees when the model refuses a request (OpenAI-shaped 400s
// with the router's stable codes) and that a good batch is answered in order with the model's usage.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeTinyGguf } from '@switchyard/testing'
import { getLlama, type LlamaModel } from 'node-llama-cpp'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { errorBody, type RouterUnderTest, startSharedRouter } from '../../router-under-test.ts'

let dir: string
let reference: LlamaModel
let router: RouterUnderTest & { close(): Promise<void> }
const contextSize = 64

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-embeddings-'))
  const modelPath = await writeTinyGguf(join(dir, 'tiny.gguf'))
  reference = await (await getLlama({ gpu: false, build: 'never' })).loadModel({ modelPath })
  const options = { modelPath, contextSize, embeddingContextSize: contextSize }
  const deployment = (id: string, extra = {}) => ({
    retry: { maxAttempts: 1 },
    deployments: [{ id, provider: 'local', model: 'tiny', options: { ...options, ...extra } }],
  })
  router = await startSharedRouter({
    models: {
      'tiny-embed': deployment('strict'),
      'tiny-cut': deployment('cut', { embeddingTruncate: true }),
    },
  })
})

afterAll(async () => {
  await router?.close()
  await reference?.dispose()
  await rm(dir, { recursive: true, force: true })
})

function post(body: unknown): Promise<Response> {
  return fetch(`${router.url}/v1/embeddings`, {
    method: 'POST',
    headers: { ...router.headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

test('a batch comes back in order, unit length, with the prompt tokens the model counts', async () => {
  const inputs = ['north', 'south wind', 'east']
  const res = await post({ model: 'tiny-embed', input: inputs, encoding_format: 'float' })
  expect(res.status).toBe(200)
  const body = (await res.json()) as {
    data: { index: number; embedding: number[] }[]
    usage: { prompt_tokens: number }
  }
  expect(body.data.map((d) => d.index)).toEqual([0, 1, 2])
  for (const d of body.data) {
    expect(d.embedding).toHaveLength(reference.embeddingVectorSize)
    expect(Math.hypot(...d.embedding)).toBeCloseTo(1, 5)
  }
  // Each input as the embedding context evaluates it: its tokens plus the BOS the context prepends.
  const bos = reference.tokens.bos === null ? 0 : 1
  const tokens = inputs.reduce((sum, text) => sum + reference.tokenize(text).length + bos, 0)
  expect(body.usage.prompt_tokens).toBe(tokens)
})

test('an input longer than the embedding context is a 400 context_length_exceeded naming the limit', async () => {
  const long = 'abc '.repeat(contextSize)
  expect(reference.tokenize(long).length).toBeGreaterThanOrEqual(contextSize)
  const res = await post({ model: 'tiny-embed', input: ['short', long] })
  expect(res.status).toBe(400)
  const { error } = await errorBody(res)
  expect(error.code).toBe('LLM_ROUTER_ERR_CONTEXT_LENGTH_EXCEEDED')
  expect(error.type).toBe('invalid_request_error')
  expect(error.message).toContain(`maximum context length is ${contextSize - 1} tokens`)
})

test('with embeddingTruncate an input past the context is embedded as its first tokens that fit', async () => {
  const long = 'abc '.repeat(contextSize)
  const bos = reference.tokens.bos === null ? 0 : 1
  const first = reference.tokenize(long).slice(0, contextSize - 1 - bos)
  // Two requests: one batch is all text or all token ids.
  const embedded = async (input: unknown) => {
    const res = await post({ model: 'tiny-cut', input, encoding_format: 'float' })
    expect(res.status).toBe(200)
    return (await res.json()) as { data: { embedding: number[] }[]; usage: { prompt_tokens: number } }
  }
  const [cut, byIds] = [await embedded([long]), await embedded([first])]
  expect(cut.data[0]?.embedding).toEqual(byIds.data[0]?.embedding)
  expect(cut.usage.prompt_tokens).toBe(contextSize - 1)
  expect(byIds.usage.prompt_tokens).toBe(contextSize - 1)
})

test('dimensions other than the model has, and unknown token ids, are 400s the caller can read', async () => {
  const wrong = await post({ model: 'tiny-embed', input: 'x', dimensions: reference.embeddingVectorSize + 1 })
  expect(wrong.status).toBe(400)
  const dims = (await errorBody(wrong)).error
  expect(dims.code).toBe('LLM_ROUTER_ERR_UPSTREAM_BAD_REQUEST')
  expect(dims.message).toContain(`embeds in ${reference.embeddingVectorSize} dimensions`)
  const ids = await post({ model: 'tiny-embed', input: [reference.tokens.bos ?? 1, 1_000_000] })
  expect(ids.status).toBe(400)
  expect((await errorBody(ids)).error.message).toMatch(/token ids this model does not have/)
})

test('a malformed request is refused by the schema with the field named, before the model runs', async () => {
  for (const [body, param] of [
    [{ model: 'tiny-embed', input: [''] }, 'input'],
    [{ model: 'tiny-embed', input: 'x', encoding_format: 'int8' }, 'encoding_format'],
    [{ model: 'tiny-embed', input: 'x', dimensions: 0 }, 'dimensions'],
  ] as const) {
    const res = await post(body)
    expect(res.status).toBe(400)
    const { error } = await errorBody(res)
    expect(error.type).toBe('invalid_request_error')
    expect(error.param).toBe(param)
  }
})
