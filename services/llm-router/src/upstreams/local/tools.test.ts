import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  ChatCompletionChunk,
  type ChatCompletionRequest,
  ChatCompletionResponse,
  type FunctionTool,
} from '@switchyard/contracts'
import { TINY_GGUF_ANSWER, writeTinyGguf } from '@switchyard/testing'
import pino from 'pino'
import { Compile } from 'typebox/compile'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import type { Deployment } from '../../catalog/schema.ts'
import { type UpstreamClient, UpstreamError } from '../provider.ts'
import { createLocalProvider } from './index.ts'
import { toHistory } from './translate.ts'

// The tiny model (packages/testing) answers every prompt with the alphabet and never writes a call
// by itself: whatever call comes out is what the function-calling grammar made of it.
const isCompletion = Compile(ChatCompletionResponse)
const isChunk = Compile(ChatCompletionChunk)

let dir: string
let modelPath: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-tools-'))
  modelPath = await writeTinyGguf(join(dir, 'tiny.gguf'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function client(): UpstreamClient {
  const deployment: Deployment = {
    id: 'tiny',
    provider: 'local',
    baseUrl: '',
    model: modelPath,
    apiKey: undefined,
    headers: {},
    weight: 1,
    maxConcurrency: Number.POSITIVE_INFINITY,
    timeouts: { connectMs: 1000, ttftMs: 30_000, idleMs: 30_000, totalMs: 60_000 },
    pricing: { inputPerMillion: 0, outputPerMillion: 0 },
    options: { contextSize: 2048 },
  }
  const c = createLocalProvider().createClient(deployment, { logger: pino({ level: 'silent' }) })
  onTestFinished(() => c.close())
  return c
}

const call = () => ({ alias: 'tiny-alias', signal: new AbortController().signal })

const weatherSchema = {
  type: 'object',
  properties: { city: { enum: ['Paris', 'Lyon'] }, metric: { type: 'boolean' } },
  required: ['city', 'metric'],
  additionalProperties: false,
}
const tools: FunctionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: weatherSchema } },
  { type: 'function', function: { name: 'current_time', description: 'The time now' } },
]
const validWeather = Compile(weatherSchema as never)

function ask(extra: Partial<ChatCompletionRequest>): ChatCompletionRequest {
  return { model: 'tiny-alias', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools, ...extra }
}

async function whole(c: UpstreamClient, request: ChatCompletionRequest) {
  const result = await c.chat?.(request, call())
  const body = JSON.parse(result?.body ?? '{}')
  expect(isCompletion.Check(body)).toBe(true)
  return { body, result }
}

async function streamed(c: UpstreamClient, request: ChatCompletionRequest) {
  const stream = await c.chatStream?.({ ...request, stream: true }, call())
  if (stream === undefined) throw new Error('no stream')
  const parts: Uint8Array[] = []
  for await (const part of stream) parts.push(part)
  const chunks = Buffer.concat(parts)
    .toString('utf8')
    .split('\n\n')
    .filter((event) => event !== '')
    .map((event) => JSON.parse(event.slice('data: '.length)) as ChatCompletionChunk)
  for (const chunk of chunks) expect(isChunk.Check(chunk)).toBe(true)
  return { chunks, stream }
}

describe('tool calls on the local model', () => {
  test('tool_choice required: a call that parses and fits its schema, finish_reason tool_calls', async () => {
    const c = client()
    const { body, result } = await whole(c, ask({ tool_choice: 'required' }))
    const choice = body.choices[0]
    expect(choice.finish_reason).toBe('tool_calls')
    expect(choice.message.content).toBeNull()
    expect(choice.message.tool_calls).toHaveLength(1)
    const [made] = choice.message.tool_calls
    expect(made.id).toMatch(/^call_[0-9a-f]{24}$/)
    expect(made.type).toBe('function')
    expect(['get_weather', 'current_time']).toContain(made.function.name)
    const args = JSON.parse(made.function.arguments)
    if (made.function.name === 'get_weather') expect(validWeather.Check(args)).toBe(true)
    else expect(args).toEqual({})
    expect(result?.completionText()).toBe(made.function.name + made.function.arguments)
    expect(body.usage.completion_tokens).toBeGreaterThan(0)
  })

  test('a named tool_choice calls that function, with arguments that validate', async () => {
    const c = client()
    const { body } = await whole(
      c,
      ask({ tool_choice: { type: 'function', function: { name: 'get_weather' } } }),
    )
    const made = body.choices[0].message.tool_calls[0]
    expect(made.function.name).toBe('get_weather')
    expect(validWeather.Check(JSON.parse(made.function.arguments))).toBe(true)
  })

  test('streamed: the call goes out as OpenAI deltas, id and name first, then argument pieces', async () => {
    const c = client()
    const request = ask({ tool_choice: { type: 'function', function: { name: 'get_weather' } } })
    const { chunks, stream } = await streamed(c, request)
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' })
    const deltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? [])
    const [opening, ...pieces] = deltas
    expect(opening).toMatchObject({
      index: 0,
      type: 'function',
      function: { name: 'get_weather', arguments: '' },
    })
    expect(opening?.id).toMatch(/^call_/)
    expect(pieces.length).toBeGreaterThan(0)
    expect(pieces.every((piece) => piece.index === 0 && piece.id === undefined)).toBe(true)
    const args = pieces.map((piece) => piece.function?.arguments ?? '').join('')
    expect(validWeather.Check(JSON.parse(args))).toBe(true)
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls')
    expect(stream.completionText()).toBe(`get_weather${args}`)
  })

  test('streamed: a function without parameters is called with {} as its arguments', async () => {
    const c = client()
    const request = ask({ tool_choice: { type: 'function', function: { name: 'current_time' } } })
    const { chunks } = await streamed(c, request)
    const deltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? [])
    expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'current_time' } })
    expect(deltas.map((d) => d.function?.arguments ?? '').join('')).toBe('{}')
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls')
  })

  test('auto leaves the choice to the model (the tiny one answers text); none offers no tools', async () => {
    const c = client()
    for (const tool_choice of ['auto', 'none'] as const) {
      const { body } = await whole(c, ask({ tool_choice }))
      expect(body.choices[0].message).toEqual({ role: 'assistant', content: TINY_GGUF_ANSWER })
      expect(body.choices[0].finish_reason).toBe('stop')
    }
    // Offered functions are documented in the prompt: it is longer than without them.
    const offered = await whole(c, ask({ tool_choice: 'auto' }))
    const none = await whole(c, ask({ tool_choice: 'none' }))
    expect(offered.body.usage.prompt_tokens).toBeGreaterThan(none.body.usage.prompt_tokens)
  })

  test('a tool result goes back next turn: the model answers after it', async () => {
    const c = client()
    const first = (await whole(c, ask({ tool_choice: 'required' }))).body.choices[0].message
    const { body } = await whole(c, {
      ...ask({ tool_choice: 'auto', max_tokens: 60 }),
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        first,
        { role: 'tool', tool_call_id: first.tool_calls[0].id, content: '{"celsius":21}' },
      ],
    })
    expect(body.choices[0].finish_reason).toBe('stop')
    expect(typeof body.choices[0].message.content).toBe('string')
  })

  test('refused before any token: a named tool not offered, tools with response_format', async () => {
    const c = client()
    const requests = [
      ask({ tool_choice: { type: 'function', function: { name: 'nope' } } }),
      ask({ response_format: { type: 'json_object' } }),
      { ...ask({}), tools: [], tool_choice: 'required' as const },
    ]
    for (const request of requests) {
      const error = await c.chat?.(request, call()).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UpstreamError)
      expect((error as UpstreamError).kind).toBe('bad_request')
    }
  })
})

describe('toHistory', () => {
  const assistantCall = {
    role: 'assistant' as const,
    content: null,
    tool_calls: [
      {
        id: 'c1',
        type: 'function' as const,
        function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
      },
      { id: 'c2', type: 'function' as const, function: { name: 'current_time', arguments: '{}' } },
    ],
  }

  test('calls and their results sit in one model response, continued by the next assistant text', () => {
    const history = toHistory([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'Weather?' },
      assistantCall,
      { role: 'tool', tool_call_id: 'c2', content: 'noon' },
      { role: 'tool', tool_call_id: 'c1', content: '{"celsius":21}' },
      { role: 'assistant', content: 'Sunny, 21.' },
      { role: 'user', content: 'Thanks' },
    ])
    expect(history).toEqual([
      { type: 'system', text: 'be brief' },
      { type: 'user', text: 'Weather?' },
      {
        type: 'model',
        response: [
          { type: 'functionCall', name: 'get_weather', params: { city: 'Paris' }, result: { celsius: 21 } },
          { type: 'functionCall', name: 'current_time', params: {}, result: 'noon' },
          'Sunny, 21.',
        ],
      },
      { type: 'user', text: 'Thanks' },
      { type: 'model', response: [] },
    ])
  })

  test('ending on tool results continues that response; a missing or stray result is refused', () => {
    const history = toHistory([
      { role: 'user', content: 'Time?' },
      { ...assistantCall, tool_calls: assistantCall.tool_calls.slice(1) },
      { role: 'tool', tool_call_id: 'c2', content: 'noon' },
    ])
    expect(history.at(-1)).toEqual({
      type: 'model',
      response: [{ type: 'functionCall', name: 'current_time', params: {}, result: 'noon' }],
    })
    const missing = () =>
      toHistory([{ role: 'user', content: 'x' }, assistantCall, { role: 'user', content: 'y' }])
    expect(missing).toThrow(/c1, c2 have no tool message/)
    const stray = () =>
      toHistory([
        { role: 'user', content: 'x' },
        { role: 'tool', tool_call_id: 'zz', content: '1' },
      ])
    expect(stray).toThrow(/answers no tool call/)
  })
})
