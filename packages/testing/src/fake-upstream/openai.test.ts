import OpenAI from 'openai'
import { expect, onTestFinished, test } from 'vitest'
import { fakeBehaviorHeader, startFakeOpenAI } from './index.ts'
import { countPromptTokens, countTokens, fakeEmbedding, sampleFromSchema, splitTokens } from './text.ts'
import type { FakeUpstreamOptions } from './upstream.ts'

async function setup(
  options: FakeUpstreamOptions = {},
  client: { timeout?: number; maxRetries?: number } = {},
) {
  const fake = await startFakeOpenAI(options)
  onTestFinished(() => fake.close())
  const openai = new OpenAI({ baseURL: fake.url, apiKey: 'sk-test', maxRetries: 0, ...client })
  return { fake, openai }
}

const messages = [
  { role: 'system' as const, content: 'You are terse.' },
  { role: 'user' as const, content: 'What is the capital of France?' },
]

test('a chat completion echoes the last user message and counts its tokens', async () => {
  const { fake, openai } = await setup()
  const res = await openai.chat.completions.create({ model: 'fake-chat', messages })

  const expected = `echo: ${messages[1]?.content}`
  expect(res.choices[0]?.message.content).toBe(expected)
  expect(res.choices[0]?.finish_reason).toBe('stop')
  expect(res.usage).toEqual({
    prompt_tokens: countPromptTokens(messages),
    completion_tokens: countTokens(expected),
    total_tokens: countPromptTokens(messages) + countTokens(expected),
  })
  expect(fake.requests).toHaveLength(1)
  expect(fake.requests[0]).toMatchObject({
    method: 'POST',
    path: '/v1/chat/completions',
    status: 200,
    completed: true,
    aborted: false,
  })
  expect(fake.requests[0]?.headers.authorization).toBe('Bearer sk-test')
  expect(fake.requests[0]?.body).toMatchObject({ model: 'fake-chat', messages })
})

test('a streamed completion sends one chunk per token and a final usage chunk with include_usage', async () => {
  const reply = 'Paris is the capital of France.'
  const { openai } = await setup({ behavior: { reply } })
  const stream = await openai.chat.completions.create({
    model: 'fake-chat',
    messages,
    stream: true,
    stream_options: { include_usage: true },
  })
  const chunks = []
  for await (const chunk of stream) chunks.push(chunk)

  const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')
  expect(text).toBe(reply)
  const contentChunks = chunks.filter((c) => c.choices[0]?.delta.content)
  expect(contentChunks.map((c) => c.choices[0]?.delta.content)).toEqual(splitTokens(reply))
  expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant')
  expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop')
  const last = chunks.at(-1)
  expect(last?.choices).toEqual([])
  expect(last?.usage).toEqual({
    prompt_tokens: countPromptTokens(messages),
    completion_tokens: countTokens(reply),
    total_tokens: countPromptTokens(messages) + countTokens(reply),
  })
  // Every chunk but the usage one carries `usage: null`, as OpenAI's do.
  expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true)
})

test('chunks and replyTokens shape the stream; without include_usage no chunk has usage', async () => {
  const { openai } = await setup({ behavior: { replyTokens: 10, chunks: 3 } })
  const stream = await openai.chat.completions.create({ model: 'fake-chat', messages, stream: true })
  const contents: string[] = []
  for await (const chunk of stream) {
    expect(chunk.usage).toBeUndefined()
    const c = chunk.choices[0]?.delta.content
    if (c) contents.push(c)
  }
  expect(contents).toHaveLength(3)
  expect(countTokens(contents.join(''))).toBe(10)
})

test('reportUsage: false omits usage, streamed or not', async () => {
  const { openai } = await setup({ behavior: { reportUsage: false } })
  const res = await openai.chat.completions.create({ model: 'fake-chat', messages })
  expect(res.usage).toBeUndefined()
  const stream = await openai.chat.completions.create({
    model: 'fake-chat',
    messages,
    stream: true,
    stream_options: { include_usage: true },
  })
  const chunks = []
  for await (const chunk of stream) chunks.push(chunk)
  expect(chunks.filter((c) => c.usage)).toEqual([])
  expect(chunks.filter((c) => c.choices.length === 0)).toEqual([])
})

test('max_tokens cuts the reply and finishes with length', async () => {
  const { openai } = await setup({ behavior: { replyTokens: 20 } })
  const res = await openai.chat.completions.create({ model: 'fake-chat', messages, max_tokens: 4 })
  expect(countTokens(res.choices[0]?.message.content ?? '')).toBe(4)
  expect(res.choices[0]?.finish_reason).toBe('length')
  expect(res.usage?.completion_tokens).toBe(4)
})

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1 } },
      required: ['city', 'days'],
    },
  },
}
const otherTool = {
  type: 'function' as const,
  function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } },
}

test('a named tool_choice answers with a call whose arguments satisfy the tool schema', async () => {
  const { openai } = await setup()
  const res = await openai.chat.completions.create({
    model: 'fake-chat',
    messages,
    tools: [otherTool, weatherTool],
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
  })
  const choice = res.choices[0]
  expect(choice?.finish_reason).toBe('tool_calls')
  expect(choice?.message.content).toBeNull()
  const call = choice?.message.tool_calls?.[0]
  if (call?.type !== 'function') throw new Error('expected a function tool call')
  const expectedArgs = sampleFromSchema(weatherTool.function.parameters, messages[1]?.content ?? '')
  expect(call.function.name).toBe('get_weather')
  expect(JSON.parse(call.function.arguments)).toEqual(expectedArgs)
  expect(expectedArgs).toEqual({ city: messages[1]?.content, days: 1 })
  expect(res.usage?.completion_tokens).toBe(countTokens('get_weather') + countTokens(call.function.arguments))
})

test('with tools and toolCalls: true a plain request answers text only when the behavior says so', async () => {
  const { fake, openai } = await setup()
  const plain = await openai.chat.completions.create({ model: 'fake-chat', messages, tools: [weatherTool] })
  expect(plain.choices[0]?.message.tool_calls).toBeUndefined()
  fake.setBehavior({ toolCalls: true })
  const called = await openai.chat.completions.create({ model: 'fake-chat', messages, tools: [weatherTool] })
  expect(called.choices[0]?.message.tool_calls?.map((c) => c.type === 'function' && c.function.name)).toEqual(
    ['get_weather'],
  )
})

test('streamed tool calls arrive as OpenAI deltas and accumulate into the same call', async () => {
  const calls = [
    { name: 'get_weather', arguments: { city: 'Paris', days: 3 } },
    { name: 'get_time', arguments: { zone: 'Europe/Paris' } },
  ]
  const { openai } = await setup()
  const stream = openai.chat.completions.stream(
    { model: 'fake-chat', messages, tools: [weatherTool, otherTool] },
    { headers: fakeBehaviorHeader({ toolCalls: calls }) },
  )
  const deltas = []
  for await (const chunk of stream) {
    for (const d of chunk.choices[0]?.delta.tool_calls ?? []) deltas.push(d)
  }
  const final = await stream.finalChatCompletion()

  // The first delta of each call opens it (index, id, name); the rest carry argument fragments.
  for (const [index, call] of calls.entries()) {
    const mine = deltas.filter((d) => d.index === index)
    expect(mine[0]?.id).toMatch(/^call_/)
    expect(mine[0]?.function?.name).toBe(call.name)
    expect(mine.slice(1).every((d) => d.id === undefined && d.function?.name === undefined)).toBe(true)
    expect(mine.length).toBeGreaterThan(2)
    expect(mine.map((d) => d.function?.arguments ?? '').join('')).toBe(JSON.stringify(call.arguments))
  }
  const toolCalls = final.choices[0]?.message.tool_calls ?? []
  expect(
    toolCalls.map((c) => c.type === 'function' && [c.function.name, JSON.parse(c.function.arguments)]),
  ).toEqual(calls.map((c) => [c.name, c.arguments]))
  expect(final.choices[0]?.finish_reason).toBe('tool_calls')
})

test('tool_choice none never calls a tool', async () => {
  const { openai } = await setup({ behavior: { toolCalls: true } })
  const res = await openai.chat.completions.create({
    model: 'fake-chat',
    messages,
    tools: [weatherTool],
    tool_choice: 'none',
  })
  expect(res.choices[0]?.message.content).toBe(`echo: ${messages[1]?.content}`)
})

test('json_object and json_schema response formats produce valid JSON', async () => {
  const { openai } = await setup()
  const jsonObject = await openai.chat.completions.create({
    model: 'fake-chat',
    messages,
    response_format: { type: 'json_object' },
  })
  expect(JSON.parse(jsonObject.choices[0]?.message.content ?? '')).toEqual({
    reply: `echo: ${messages[1]?.content}`,
  })

  const schema = {
    type: 'object',
    properties: {
      answer: { type: 'string' },
      confidence: { type: 'number' },
      tags: { type: 'array', items: { type: 'string' } },
      kind: { type: 'string', enum: ['city', 'country'] },
    },
    required: ['answer', 'confidence', 'tags', 'kind'],
    additionalProperties: false,
  }
  const structured = await openai.chat.completions.create({
    model: 'fake-chat',
    messages,
    response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } },
  })
  const parsed = JSON.parse(structured.choices[0]?.message.content ?? '')
  expect(Object.keys(parsed).sort()).toEqual(schema.required.slice().sort())
  expect(parsed).toEqual(sampleFromSchema(schema, `echo: ${messages[1]?.content}`))
  expect(parsed.kind).toBe('city')
})

test('embeddings are the deterministic unit vectors of their input, single (base64) and batch (float)', async () => {
  const { fake, openai } = await setup({ embeddingDimensions: 32 })
  const single = await openai.embeddings.create({ model: 'fake-embed', input: 'the cat sat on the mat' })
  // The client asks for base64 unless told otherwise, and decodes it.
  expect(fake.requests[0]?.body).toMatchObject({ encoding_format: 'base64' })
  expect(single.data[0]?.embedding).toEqual(fakeEmbedding('the cat sat on the mat', 32))
  expect(single.usage.prompt_tokens).toBe(countTokens('the cat sat on the mat'))
  const norm = Math.hypot(...(single.data[0]?.embedding ?? []))
  expect(norm).toBeCloseTo(1, 5)

  const inputs = ['alpha beta', 'gamma', 'alpha beta gamma delta']
  const batch = await openai.embeddings.create({
    model: 'fake-embed',
    input: inputs,
    encoding_format: 'float',
    dimensions: 8,
  })
  expect(batch.data.map((d) => d.index)).toEqual([0, 1, 2])
  expect(batch.data.map((d) => d.embedding)).toEqual(inputs.map((t) => fakeEmbedding(t, 8)))
  expect(batch.usage.total_tokens).toBe(inputs.reduce((n, t) => n + countTokens(t), 0))
})

test('texts sharing words embed closer than unrelated texts', async () => {
  const { openai } = await setup()
  const res = await openai.embeddings.create({
    model: 'fake-embed',
    input: ['postgres vector index tuning', 'tuning a postgres vector index', 'banana bread recipe'],
    encoding_format: 'float',
  })
  const [a, b, c] = res.data.map((d) => d.embedding)
  const cos = (x: number[] = [], y: number[] = []) => x.reduce((s, v, i) => s + v * (y[i] ?? 0), 0)
  expect(cos(a, b)).toBeGreaterThan(cos(a, c))
})

test('models lists the configured models', async () => {
  const { openai } = await setup({ models: ['m-one', 'm-two'] })
  const ids = []
  for await (const m of openai.models.list()) ids.push(m.id)
  expect(ids).toEqual(['m-one', 'm-two'])
})

test('status 500 is an InternalServerError; failTimes lets the client retry into a success', async () => {
  const { fake, openai } = await setup({ behavior: { status: 500 } })
  const err = await openai.chat.completions.create({ model: 'fake-chat', messages }).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(OpenAI.InternalServerError)
  expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(500)

  fake.reset()
  const failTimes = 2
  fake.setBehavior({ status: 500, failTimes, retryAfterSeconds: 0 })
  const retrying = new OpenAI({ baseURL: fake.url, apiKey: 'sk-test', maxRetries: failTimes })
  const res = await retrying.chat.completions.create({ model: 'fake-chat', messages })
  expect(res.choices[0]?.message.content).toBe(`echo: ${messages[1]?.content}`)
  expect(fake.requests.map((r) => r.status)).toEqual([...Array(failTimes).fill(500), 200])
})

test('429 carries Retry-After, and the client waits that long before retrying', async () => {
  const retryAfterSeconds = 7
  const { fake, openai } = await setup({ behavior: { status: 429, retryAfterSeconds } })
  const err = await openai.chat.completions.create({ model: 'fake-chat', messages }).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(OpenAI.RateLimitError)
  expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe(
    String(retryAfterSeconds),
  )
  expect((err as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('rate_limit_exceeded')

  const wait = 0.3
  fake.reset()
  const retrying = new OpenAI({ baseURL: fake.url, apiKey: 'sk-test', maxRetries: 1 })
  await retrying.chat.completions.create(
    { model: 'fake-chat', messages },
    { headers: fakeBehaviorHeader({ status: 429, failTimes: 1, retryAfterSeconds: wait }) },
  )
  expect(fake.requests.map((r) => r.status)).toEqual([429, 200])
  const gap = (fake.requests[1]?.receivedAt ?? 0) - (fake.requests[0]?.receivedAt ?? 0)
  // Timers may fire up to a millisecond early relative to Date.now().
  expect(gap).toBeGreaterThanOrEqual(wait * 1000 - 2)
})

test('a hanging upstream is recorded as aborted when the client times out', async () => {
  const { fake, openai } = await setup({ behavior: { hang: true } }, { timeout: 150 })
  const err = await openai.chat.completions.create({ model: 'fake-chat', messages }).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError)
  await fake.idle()
  expect(fake.requests[0]).toMatchObject({ aborted: true, completed: false, status: undefined })
})

test('a hanging upstream is recorded as aborted when the caller aborts its signal', async () => {
  const { fake, openai } = await setup()
  const controller = new AbortController()
  const pending = openai.chat.completions
    .create(
      { model: 'fake-chat', messages },
      { signal: controller.signal, headers: fakeBehaviorHeader({ hang: true }) },
    )
    .catch((e: unknown) => e)
  setTimeout(() => controller.abort(), 50)
  expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError)
  await fake.idle()
  expect(fake.requests[0]?.aborted).toBe(true)
})

test('dropMidStream delivers that many chunks, then the client stream throws', async () => {
  const dropAfter = 3
  const { fake, openai } = await setup({ behavior: { dropMidStream: dropAfter, replyTokens: 10 } })
  const stream = await openai.chat.completions.create({ model: 'fake-chat', messages, stream: true })
  let received = 0
  const err = await (async () => {
    for await (const _chunk of stream) received++
  })().catch((e: unknown) => e)
  expect(err).toBeInstanceOf(Error)
  expect(received).toBe(dropAfter)
  await fake.idle()
  expect(fake.requests[0]).toMatchObject({ dropped: true, aborted: false, completed: false })
})

test('hangAfterChunks stalls the stream until the caller gives up, recorded as aborted', async () => {
  const { fake, openai } = await setup({ behavior: { hangAfterChunks: 2 } })
  const controller = new AbortController()
  const stream = await openai.chat.completions.create(
    { model: 'fake-chat', messages, stream: true },
    { signal: controller.signal },
  )
  let received = 0
  // This client ends a stream quietly when its own signal aborts it; what matters is that the
  // stall kept it waiting after the second chunk until then.
  await (async () => {
    for await (const _chunk of stream) {
      received++
      if (received === 2) setTimeout(() => controller.abort(), 50)
    }
  })().catch(() => undefined)
  expect(controller.signal.aborted).toBe(true)
  expect(received).toBe(2)
  await fake.idle()
  expect(fake.requests[0]).toMatchObject({ aborted: true, dropped: false })
})

test('contextLengthExceeded and contextWindow answer 400 context_length_exceeded', async () => {
  const { fake, openai } = await setup({ behavior: { contextLengthExceeded: true } })
  const forced = await openai.chat.completions
    .create({ model: 'fake-chat', messages })
    .catch((e: unknown) => e)
  expect(forced).toBeInstanceOf(OpenAI.BadRequestError)
  expect((forced as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded')

  const window = countPromptTokens(messages) - 1
  fake.setBehavior({ contextWindow: window })
  const over = await openai.chat.completions.create({ model: 'fake-chat', messages }).catch((e: unknown) => e)
  expect((over as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded')
  expect((over as Error).message).toContain(`maximum context length is ${window} tokens`)
  expect((over as Error).message).toContain(`resulted in ${countPromptTokens(messages)} tokens`)
  const short = [{ role: 'user' as const, content: 'hi' }]
  const ok = await openai.chat.completions.create({ model: 'fake-chat', messages: short })
  expect(ok.choices[0]?.message.content).toBe('echo: hi')
})

test('latency, ttft and tokensPerSecond delay the answer by what they imply', async () => {
  const latencyMs = 40
  const ttftMs = 60
  const tokensPerSecond = 100
  const replyTokens = 6
  const { openai } = await setup({ behavior: { latencyMs, ttftMs, tokensPerSecond, replyTokens } })
  const start = performance.now()
  const stream = await openai.chat.completions.create({ model: 'fake-chat', messages, stream: true })
  let firstToken = 0
  for await (const chunk of stream) {
    if (!firstToken && chunk.choices[0]?.delta.content) firstToken = performance.now() - start
  }
  const total = performance.now() - start
  expect(firstToken).toBeGreaterThanOrEqual(latencyMs + ttftMs - 2)
  // The finish chunk is due once every token has been generated.
  expect(total).toBeGreaterThanOrEqual(latencyMs + ttftMs + (replyTokens * 1000) / tokensPerSecond - 2)

  const t0 = performance.now()
  await openai.chat.completions.create({ model: 'fake-chat', messages })
  expect(performance.now() - t0).toBeGreaterThanOrEqual(
    latencyMs + ttftMs + (replyTokens * 1000) / tokensPerSecond - 2,
  )
})

test('a model behavior applies to that model only; a header overrides both for one request', async () => {
  const { fake, openai } = await setup()
  fake.setBehavior({ status: 503 }, 'flaky')
  const err = await openai.chat.completions.create({ model: 'flaky', messages }).catch((e: unknown) => e)
  expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503)
  const ok = await openai.chat.completions.create({ model: 'fake-chat', messages })
  expect(ok.choices[0]?.message.content).toBe(`echo: ${messages[1]?.content}`)
  const overridden = await openai.chat.completions.create(
    { model: 'flaky', messages },
    { headers: fakeBehaviorHeader({ status: 200, reply: 'fine' }) },
  )
  expect(overridden.choices[0]?.message.content).toBe('fine')
})

test('a reply function sees the normalised conversation', async () => {
  const { openai } = await setup({
    behavior: { reply: (input) => `${input.model} saw ${input.messages.length} messages` },
  })
  const res = await openai.chat.completions.create({ model: 'fake-chat', messages })
  expect(res.choices[0]?.message.content).toBe(`fake-chat saw ${messages.length} messages`)
})

test('strictModels rejects unknown models; bad headers and unknown routes are 400 and 404', async () => {
  const { fake, openai } = await setup({ strictModels: true })
  const err = await openai.chat.completions.create({ model: 'gpt-nope', messages }).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(OpenAI.NotFoundError)
  expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found')

  const bad = await openai.chat.completions
    .create({ model: 'fake-chat', messages }, { headers: { 'x-fake-behavior': '{nope' } })
    .catch((e: unknown) => e)
  expect((bad as InstanceType<typeof OpenAI.APIError>).status).toBe(400)

  const res = await fetch(`${fake.url}/nothing-here`)
  expect(res.status).toBe(404)
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unknown_url')
})

test('record: false keeps no request log', async () => {
  const { fake, openai } = await setup({ record: false })
  await openai.chat.completions.create({ model: 'fake-chat', messages })
  expect(fake.requests).toEqual([])
})
