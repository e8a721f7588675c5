import { alice, countPromptTokens, countTokens, startFakeOpenAI } from '@switchyard/testing'
import { expect, onTestFinished, test } from 'vitest'
import { startRouter } from '../router-under-test.ts'
import { promptText, tokenCounter } from './tokens.ts'

const messages = [{ role: 'user' as const, content: 'name three rivers' }]
const reply = 'echo: name three rivers'
const pricing = { inputPerMillion: 3, outputPerMillion: 15 }

async function pricedRouter() {
  const upstream = await startFakeOpenAI({ models: ['m'] })
  onTestFinished(() => upstream.close())
  const router = await startRouter({
    defaults: { retry: { baseDelayMs: 5, maxAttempts: 2 } },
    models: {
      chat: {
        pricing,
        deployments: [{ id: 'priced', provider: 'openai', baseUrl: upstream.url, model: 'm' }],
      },
      broken: {
        deployments: [{ id: 'broken', provider: 'openai', baseUrl: upstream.url, model: 'broken', pricing }],
      },
      embed: { deployments: [{ id: 'embedder', provider: 'openai', baseUrl: upstream.url, model: 'm' }] },
    },
  })
  upstream.setBehavior({ status: 500 }, 'broken')
  return { upstream, router }
}

const cost = (input: number, output: number) =>
  (input * pricing.inputPerMillion + output * pricing.outputPerMillion) / 1_000_000

test('exactly one llm.usage.v1 event per request, success or failure, priced from the upstream usage', async () => {
  const { router } = await pricedRouter()
  await router.openai.chat.completions.create({ model: 'chat', messages })
  for await (const _ of await router.openai.chat.completions.create({
    model: 'chat',
    messages,
    stream: true,
  })) {
    // drain
  }
  await router.openai.embeddings.create({ model: 'embed', input: ['a b', 'c'] })
  await router.openai.chat.completions.create({ model: 'broken', messages }).catch(() => undefined)
  // Refused before any upstream call: no event (it would name no deployment).
  await router.openai.chat.completions.create({ model: 'nope', messages }).catch(() => undefined)

  const events = await router.usageEvents(4)
  expect(events).toHaveLength(4)
  expect(new Set(events.map((e) => e.requestId)).size).toBe(4)
  const byKind = (alias: string, stream: boolean) =>
    events.find((e) => e.alias === alias && e.stream === stream)
  const input = countPromptTokens(messages)
  const output = countTokens(reply)
  for (const stream of [false, true]) {
    expect(byKind('chat', stream)).toMatchObject({
      orgId: alice.orgId,
      userId: alice.userId,
      keyId: alice.keyId,
      deployment: 'priced',
      provider: 'openai',
      status: 'ok',
      errorCode: null,
      attempts: 1,
      inputTokens: input,
      outputTokens: output,
    })
    expect(byKind('chat', stream)?.costUsd).toBeCloseTo(cost(input, output), 12)
  }
  expect(byKind('chat', false)?.ttftMs).toBeNull()
  expect(byKind('chat', true)?.ttftMs).toBeGreaterThan(0)
  expect(byKind('embed', false)).toMatchObject({
    inputTokens: countTokens('a b') + countTokens('c'),
    outputTokens: 0,
    costUsd: 0,
  })
  expect(byKind('broken', false)).toMatchObject({
    status: 'error',
    errorCode: 'LLM_ROUTER_ERR_UPSTREAM',
    attempts: 2,
    inputTokens: 0,
    outputTokens: 0,
  })
  for (const event of events) expect(event.latencyMs).toBeGreaterThan(0)
})

test('when the upstream reports no usage, tokens are counted with the tokenizer, in the event and the usage chunk', async () => {
  const { upstream, router } = await pricedRouter()
  upstream.setBehavior({ reportUsage: false })
  const stream = await router.openai.chat.completions.create({
    model: 'chat',
    messages,
    stream: true,
    stream_options: { include_usage: true },
  })
  let usageChunk: unknown
  for await (const chunk of stream) if (chunk.usage) usageChunk = chunk.usage
  const count = await tokenCounter()
  const input = count(promptText(messages))
  const output = count(reply)
  expect(usageChunk).toEqual({
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: input + output,
  })
  const [event] = await router.usageEvents(1)
  expect(event).toMatchObject({ inputTokens: input, outputTokens: output })
  expect(event?.costUsd).toBeCloseTo(cost(input, output), 12)
})

test('the llm_* metrics carry model, deployment, provider and the allow-listed org', async () => {
  const { router } = await pricedRouter()
  await router.openai.chat.completions.create({ model: 'chat', messages })
  await router.openai.chat.completions.create({ model: 'broken', messages }).catch(() => undefined)
  await router.usageEvents(2)
  const text = await router.metrics.metrics()
  const labels = 'model="chat",deployment="priced",provider="openai",org="org_acme"'
  expect(text).toContain(`llm_requests_total{${labels}} 1`)
  expect(text).toContain(`llm_tokens_total{${labels},kind="input"} ${countPromptTokens(messages)}`)
  expect(text).toContain(`llm_tokens_total{${labels},kind="output"} ${countTokens(reply)}`)
  expect(text).toContain(
    'llm_errors_total{model="broken",deployment="broken",provider="openai",org="org_acme",code="LLM_ROUTER_ERR_UPSTREAM"} 1',
  )
  expect(text).toMatch(
    /llm_request_duration_seconds_count\{model="chat",deployment="priced",provider="openai",org="org_acme"\} 1/,
  )
})
