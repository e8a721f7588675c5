import { Ollama } from 'ollama'
import OpenAI from 'openai'
import { expect, onTestFinished, test } from 'vitest'
import { fakeBehaviorHeader, startFakeOllama } from './index.ts'
import type { FakeOllamaOptions } from './ollama.ts'
import { countPromptTokens, countTokens, fakeEmbedding, sampleFromSchema, splitTokens } from './text.ts'

async function setup(options: FakeOllamaOptions = {}) {
  const fake = await startFakeOllama(options)
  onTestFinished(() => fake.close())
  return { fake, ollama: new Ollama({ host: fake.url }) }
}

const messages = [
  { role: 'system', content: 'Answer briefly.' },
  { role: 'user', content: 'Why is the sky blue?' },
]
const expectedReply = `echo: ${messages[1]?.content}`

test('chat without streaming answers one object with counts and durations', async () => {
  const { fake, ollama } = await setup()
  const res = await ollama.chat({ model: 'fake-chat', messages, stream: false })
  expect(res.message).toEqual({ role: 'assistant', content: expectedReply })
  expect(res.done).toBe(true)
  expect(res.done_reason).toBe('stop')
  expect(res.prompt_eval_count).toBe(countPromptTokens(messages))
  expect(res.eval_count).toBe(countTokens(expectedReply))
  expect(res.total_duration).toBeGreaterThan(0)
  expect(res.total_duration).toBeGreaterThanOrEqual(res.eval_duration)
  expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/api/chat', status: 200 })
})

test('chat streams NDJSON: one line per token, then a done line with the counts', async () => {
  const { fake, ollama } = await setup()
  const stream = await ollama.chat({ model: 'fake-chat', messages, stream: true })
  const parts = []
  for await (const part of stream) parts.push(part)

  expect(fake.requests[0]?.body).toMatchObject({ model: 'fake-chat', stream: true })
  const pieces = parts.filter((p) => !p.done).map((p) => p.message.content)
  expect(pieces).toEqual(splitTokens(expectedReply))
  const final = parts.at(-1)
  expect(final?.done).toBe(true)
  expect(final?.done_reason).toBe('stop')
  expect(final?.eval_count).toBe(countTokens(pieces.join('')))
  expect(final?.prompt_eval_count).toBe(countPromptTokens(messages))
})

test('a server default of streaming applies when the request omits stream', async () => {
  const { fake } = await setup()
  const res = await fetch(`${fake.url}/api/chat`, {
    method: 'POST',
    body: JSON.stringify({ model: 'fake-chat', messages }),
  })
  expect(res.headers.get('content-type')).toBe('application/x-ndjson')
  const lines = (await res.text()).trim().split('\n')
  expect(lines).toHaveLength(countTokens(expectedReply) + 1)
})

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}

test('tools: the call carries its arguments as an object, streamed or not', async () => {
  const { ollama } = await setup({ behavior: { toolCalls: true } })
  const res = await ollama.chat({ model: 'fake-chat', messages, tools: [weatherTool], stream: false })
  const expectedArgs = sampleFromSchema(weatherTool.function.parameters, messages[1]?.content ?? '')
  expect(res.message.tool_calls?.map((c) => c.function)).toEqual([
    { index: 0, name: 'get_weather', arguments: expectedArgs },
  ])
  expect(res.eval_count).toBe(countTokens('get_weather') + countTokens(JSON.stringify(expectedArgs)))

  const stream = await ollama.chat({ model: 'fake-chat', messages, tools: [weatherTool], stream: true })
  const calls = []
  for await (const part of stream) calls.push(...(part.message.tool_calls ?? []))
  expect(calls.map((c) => [c.function.name, c.function.arguments])).toEqual([['get_weather', expectedArgs]])
})

test('format json and a format schema make the content valid JSON', async () => {
  const { ollama } = await setup()
  const json = await ollama.chat({ model: 'fake-chat', messages, format: 'json', stream: false })
  expect(JSON.parse(json.message.content)).toEqual({ reply: expectedReply })
  const schema = { type: 'object', properties: { color: { type: 'string' }, hex: { type: 'boolean' } } }
  const structured = await ollama.chat({ model: 'fake-chat', messages, format: schema, stream: false })
  expect(JSON.parse(structured.message.content)).toEqual({ color: expectedReply, hex: true })
})

test('generate streams response pieces and finishes with done, counts and context', async () => {
  const { ollama } = await setup({ behavior: { reply: 'one two three four' } })
  const whole = await ollama.generate({ model: 'fake-chat', prompt: 'count to four', stream: false })
  expect(whole.response).toBe('one two three four')
  expect(whole.prompt_eval_count).toBe(countTokens('count to four'))
  expect(whole.context).toHaveLength(countTokens('count to four one two three four'))

  const stream = await ollama.generate({ model: 'fake-chat', prompt: 'count to four', stream: true })
  const parts = []
  for await (const part of stream) parts.push(part)
  expect(parts.filter((p) => !p.done).map((p) => p.response)).toEqual(splitTokens('one two three four'))
  expect(parts.at(-1)?.eval_count).toBe(4)
})

test('embed returns the deterministic vectors, single and batch', async () => {
  const { ollama } = await setup({ embeddingDimensions: 16 })
  const single = await ollama.embed({ model: 'fake-embed', input: 'hello vector world' })
  expect(single.embeddings).toEqual([fakeEmbedding('hello vector world', 16)])
  expect(single.prompt_eval_count).toBe(3)

  const inputs = ['first text', 'second longer text here']
  const batch = await ollama.embed({ model: 'fake-embed', input: inputs, dimensions: 4 })
  expect(batch.embeddings).toEqual(inputs.map((t) => fakeEmbedding(t, 4)))
  expect(batch.prompt_eval_count).toBe(inputs.reduce((n, t) => n + countTokens(t), 0))
})

test('tags list the models with :latest, version answers, and / says it is running', async () => {
  const { fake, ollama } = await setup({ models: ['llama3.2', 'nomic-embed-text:v1.5'], version: '0.9.9' })
  const tags = await ollama.list()
  expect(tags.models.map((m) => m.name)).toEqual(['llama3.2:latest', 'nomic-embed-text:v1.5'])
  expect(tags.models[0]?.digest).toMatch(/^[0-9a-f]{64}$/)
  expect(await ollama.version()).toEqual({ version: '0.9.9' })
  expect(await (await fetch(fake.url)).text()).toBe('Ollama is running')
})

test('the OpenAI-compatible routes are served under /v1 too', async () => {
  const { fake } = await setup({ models: ['llama3.2'] })
  const openai = new OpenAI({ baseURL: fake.openaiUrl, apiKey: 'ollama', maxRetries: 0 })
  const ids = []
  for await (const m of openai.models.list()) ids.push(m.id)
  expect(ids).toEqual(['llama3.2:latest'])
  const res = await openai.chat.completions.create({
    model: 'llama3.2',
    messages: [{ role: 'user', content: 'hi' }],
  })
  expect(res.choices[0]?.message.content).toBe('echo: hi')
})

test('a failure status is a ResponseError with Ollama error text; 429 carries Retry-After', async () => {
  const { fake, ollama } = await setup({ behavior: { status: 500, message: 'model runner crashed' } })
  const err = await ollama.chat({ model: 'fake-chat', messages, stream: false }).catch((e: unknown) => e)
  expect(err).toMatchObject({ name: 'ResponseError', status_code: 500, error: 'model runner crashed' })

  fake.setBehavior({ status: 429, retryAfterSeconds: 3 })
  const res = await fetch(`${fake.url}/api/chat`, {
    method: 'POST',
    body: JSON.stringify({ model: 'fake-chat', messages }),
  })
  expect(res.status).toBe(429)
  expect(res.headers.get('retry-after')).toBe('3')
  expect(((await res.json()) as { error: string }).error).toContain('Rate limit')
})

test('failTimes fails the first requests only', async () => {
  const failTimes = 2
  const { fake, ollama } = await setup({ behavior: { status: 503, failTimes } })
  const outcomes = []
  for (let i = 0; i < failTimes + 2; i++) {
    outcomes.push(
      await ollama.chat({ model: 'fake-chat', messages, stream: false }).then(
        () => 'ok',
        (e: { status_code: number }) => e.status_code,
      ),
    )
  }
  expect(outcomes).toEqual([...Array(failTimes).fill(503), 'ok', 'ok'])
  expect(fake.requests.map((r) => r.status)).toEqual(outcomes.map((o) => (o === 'ok' ? 200 : o)))
})

test('dropMidStream breaks the client stream after that many lines', async () => {
  const dropAfter = 2
  const { fake, ollama } = await setup({ behavior: { dropMidStream: dropAfter, replyTokens: 8 } })
  const stream = await ollama.chat({ model: 'fake-chat', messages, stream: true })
  let received = 0
  const err = await (async () => {
    for await (const _part of stream) received++
  })().catch((e: unknown) => e)
  expect(err).toBeInstanceOf(Error)
  expect(received).toBe(dropAfter)
  await fake.idle()
  expect(fake.requests[0]?.dropped).toBe(true)
})

test('a hanging chat is recorded as aborted when the client gives up', async () => {
  const { fake } = await setup({ behavior: { hang: true } })
  const ollama = new Ollama({
    host: fake.url,
    fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(100) }),
  })
  const err = await ollama.chat({ model: 'fake-chat', messages, stream: false }).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(Error)
  await fake.idle()
  expect(fake.requests[0]).toMatchObject({ aborted: true, completed: false })
})

test('per-request behavior through the header, e.g. usage omitted', async () => {
  const { fake } = await setup()
  const ollama = new Ollama({
    host: fake.url,
    headers: fakeBehaviorHeader({ reportUsage: false, reply: 'x y' }),
  })
  const res = await ollama.chat({ model: 'fake-chat', messages, stream: false })
  expect(res.message.content).toBe('x y')
  expect(res.eval_count).toBeUndefined()
  expect(res.prompt_eval_count).toBeUndefined()
})
