import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  ChatCompletionChunk,
  type ChatCompletionRequest,
  ChatCompletionResponse,
  EmbeddingsResponse,
} from '@switchyard/contracts'
import { TINY_GGUF_ANSWER, writeTinyGguf } from '@switchyard/testing'
import { getLlama, type LlamaModel } from 'node-llama-cpp'
import pino from 'pino'
import { Compile } from 'typebox/compile'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import type { Deployment } from '../../catalog/schema.ts'
import { type UpstreamCall, type UpstreamClient, UpstreamError } from '../provider.ts'
import { createLocalProvider, ModelStore } from './index.ts'

const logger = pino({ level: 'silent' })
const isCompletion = Compile(ChatCompletionResponse)
const isChunk = Compile(ChatCompletionChunk)
const isEmbeddings = Compile(EmbeddingsResponse)

let dir: string
let modelPath: string
/** The same file loaded apart from the provider: the reference tokenizer for usage counts. */
let reference: LlamaModel

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-provider-'))
  modelPath = await writeTinyGguf(join(dir, 'tiny.gguf'))
  const llama = await getLlama({ gpu: false, build: 'never' })
  reference = await llama.loadModel({ modelPath })
})

afterAll(async () => {
  await reference?.dispose()
  await rm(dir, { recursive: true, force: true })
})

function deployment(options: Record<string, unknown> = {}, id = 'tiny'): Deployment {
  return {
    id,
    provider: 'local',
    baseUrl: '',
    model: modelPath,
    apiKey: undefined,
    headers: {},
    weight: 1,
    maxConcurrency: Number.POSITIVE_INFINITY,
    timeouts: { connectMs: 1000, ttftMs: 30_000, idleMs: 30_000, totalMs: 60_000 },
    pricing: { inputPerMillion: 0, outputPerMillion: 0 },
    options: { contextSize: 512, ...options },
  }
}

function client(options: Record<string, unknown> = {}, store = new ModelStore()): UpstreamClient {
  const c = createLocalProvider(store).createClient(deployment(options), { logger })
  onTestFinished(() => c.close())
  return c
}

function call(signal = new AbortController().signal): UpstreamCall {
  return { alias: 'tiny-alias', signal }
}

function ask(content: string, extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
  return { model: 'tiny-alias', messages: [{ role: 'user', content }], ...extra }
}

/** Tokens of the ChatML prompt for one user message, counted by the model's own tokenizer. */
function promptTokensOf(user: string): number {
  const text = `<|im_start|>user\n${user}<|im_end|>\n<|im_start|>assistant\n`
  return 1 /* BOS */ + reference.tokenize(text, true).length
}

function events(bytes: Uint8Array[]): ChatCompletionChunk[] {
  return Buffer.concat(bytes)
    .toString('utf8')
    .split('\n\n')
    .filter((event) => event !== '')
    .map((event) => {
      expect(event.startsWith('data: ')).toBe(true)
      return JSON.parse(event.slice('data: '.length)) as ChatCompletionChunk
    })
}

describe('chat', () => {
  test('a non-streamed answer is a chat.completion with the model text, stop and exact usage', async () => {
    const c = client()
    const result = await c.chat?.(ask('Hi there'), call())
    const body = JSON.parse(result?.body ?? '{}')
    expect(isCompletion.Check(body)).toBe(true)
    expect(body.model).toBe('tiny-alias')
    expect(body.choices[0].message).toEqual({ role: 'assistant', content: TINY_GGUF_ANSWER })
    expect(body.choices[0].finish_reason).toBe('stop')
    // The 26 letters and the end-of-turn token the model sampled to stop.
    const completion = reference.tokenize(TINY_GGUF_ANSWER).length + 1
    const usage = {
      prompt_tokens: promptTokensOf('Hi there'),
      completion_tokens: completion,
      total_tokens: 0,
    }
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens
    expect(body.usage).toEqual(usage)
    expect(result?.usage()).toEqual(usage)
    expect(result?.completionText()).toBe(TINY_GGUF_ANSWER)
  })

  test('a streamed answer comes token by token as chat.completion.chunk events, then usage', async () => {
    const c = client()
    const stream = await c.chatStream?.(ask('Stream it', { stream: true }), call())
    if (stream === undefined) throw new Error('no stream')
    const parts: Uint8Array[] = []
    for await (const part of stream) parts.push(part)
    const chunks = events(parts)
    for (const chunk of chunks) expect(isChunk.Check(chunk)).toBe(true)
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' })
    const contents = chunks.flatMap((chunk) =>
      chunk.choices[0]?.delta.content ? [chunk.choices[0].delta.content] : [],
    )
    expect(contents).toEqual([...TINY_GGUF_ANSWER]) // one event per token
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop')
    expect(new Set(chunks.map((chunk) => chunk.id))).toEqual(new Set([stream.id()]))
    expect(chunks.every((chunk) => chunk.model === 'tiny-alias' && chunk.created === stream.created())).toBe(
      true,
    )
    expect(stream.completionText()).toBe(TINY_GGUF_ANSWER)
    expect(stream.usage()).toEqual({
      prompt_tokens: promptTokensOf('Stream it'),
      completion_tokens: TINY_GGUF_ANSWER.length + 1,
      total_tokens: promptTokensOf('Stream it') + TINY_GGUF_ANSWER.length + 1,
    })
  })

  test('max_tokens cuts the answer with finish_reason length and counts exactly that many tokens', async () => {
    const c = client()
    const body = JSON.parse((await c.chat?.(ask('Hi', { max_tokens: 5 }), call()))?.body ?? '{}')
    expect(body.choices[0].message.content).toBe('abcde')
    expect(body.choices[0].finish_reason).toBe('length')
    expect(body.usage.completion_tokens).toBe(5)
    const viaNewName = JSON.parse(
      (await c.chat?.(ask('Hi', { max_completion_tokens: 3 }), call()))?.body ?? '{}',
    )
    expect(viaNewName.choices[0].message.content).toBe('abc')
  })

  test('a stop string ends the answer before it, with finish_reason stop', async () => {
    const c = client()
    const body = JSON.parse((await c.chat?.(ask('Hi', { stop: ['xyz', 'klm'] }), call()))?.body ?? '{}')
    expect(body.choices[0].message.content).toBe('abcdefghij')
    expect(body.choices[0].finish_reason).toBe('stop')
    expect(body.usage.completion_tokens).toBe(13) // the stop string's tokens were generated too
  })

  test('a prefilled assistant turn is continued from where it stops', async () => {
    const c = client()
    const request: ChatCompletionRequest = {
      model: 'tiny-alias',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'uv' },
      ],
    }
    const body = JSON.parse((await c.chat?.(request, call()))?.body ?? '{}')
    expect(body.choices[0].message.content).toBe('wxyz')
  })

  test('response_format json_schema constrains the answer to the schema', async () => {
    const c = client()
    const schema = {
      type: 'object',
      properties: { ok: { type: 'boolean' }, size: { enum: ['small', 'large'] } },
      required: ['ok', 'size'],
    }
    const request = ask('Give JSON', {
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema } },
      max_tokens: 40,
    })
    const body = JSON.parse((await c.chat?.(request, call()))?.body ?? '{}')
    const answer = JSON.parse(body.choices[0].message.content)
    expect(typeof answer.ok).toBe('boolean')
    expect(['small', 'large']).toContain(answer.size)
    // json_object: any JSON, so the text starts as JSON does (the tiny model never closes it).
    const free = await c.chat?.(
      ask('JSON', { response_format: { type: 'json_object' }, max_tokens: 8 }),
      call(),
    )
    expect(JSON.parse(free?.body ?? '{}').choices[0].message.content).toMatch(/^\s*[[{]/)
  })

  test('what a local model cannot do is a bad_request before any token', async () => {
    const c = client()
    const image = {
      model: 'tiny-alias',
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }] },
      ],
    } as ChatCompletionRequest
    for (const request of [image, ask('Hi', { n: 2 }), ask('Hi', { logprobs: true })]) {
      const error = await c.chat?.(request, call()).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UpstreamError)
      expect((error as UpstreamError).kind).toBe('bad_request')
    }
    const badBias = await c
      .chat?.(ask('Hi', { logit_bias: { '999999': 5 } }), call())
      .catch((e: unknown) => e)
    expect((badBias as UpstreamError).kind).toBe('bad_request')
  })

  test('logit_bias -100 bans a token', async () => {
    const c = client()
    const f = reference.tokenize('f')[0] ?? -1
    const body = JSON.parse(
      (await c.chat?.(ask('Hi', { logit_bias: { [String(f)]: -100 }, max_tokens: 6 }), call()))?.body ?? '{}',
    )
    expect(body.choices[0].message.content.startsWith('abcde')).toBe(true)
    expect(body.choices[0].message.content).not.toContain('f')
  })

  test('a prompt longer than the context is context_length, not a truncated answer', async () => {
    // llama.cpp rounds a context up to a multiple of 256 tokens; this one is 256.
    const c = client({ contextSize: 256 })
    const error = await c.chat?.(ask('x'.repeat(300)), call()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UpstreamError)
    expect((error as UpstreamError).kind).toBe('context_length')
    expect((error as UpstreamError).upstreamCode).toBe('context_length_exceeded')
    const tooMuch = await c.chat?.(ask('Hi', { max_tokens: 250 }), call()).catch((e: unknown) => e)
    expect((tooMuch as UpstreamError).kind).toBe('context_length')
  })
})

describe('abort and concurrency', () => {
  test('an abort mid-stream stops generation and throws the abort reason', async () => {
    const c = client()
    const controller = new AbortController()
    const reason = new Error('client left')
    const stream = await c.chatStream?.(ask('Hi', { stream: true }), call(controller.signal))
    if (stream === undefined) throw new Error('no stream')
    let contents = 0
    const error = await (async () => {
      for await (const part of stream) {
        if (Buffer.from(part).toString().includes('"content":"c"')) controller.abort(reason)
        contents++
      }
    })().catch((e: unknown) => e)
    expect(error).toBe(reason)
    // Had generation gone on, the 26 tokens (~30 ms on this model) would all be in by now.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(stream.completionText().length).toBeLessThan(TINY_GGUF_ANSWER.length)
    expect(contents).toBeLessThan(TINY_GGUF_ANSWER.length)
    // The sequence came back: the next request is answered in full.
    const next = await c.chat?.(ask('Again'), call())
    expect(JSON.parse(next?.body ?? '{}').choices[0].message.content).toBe(TINY_GGUF_ANSWER)
  })

  test('a reader that stops early stops generation and frees the sequence', async () => {
    const c = client()
    const stream = await c.chatStream?.(ask('Hi', { stream: true }), call())
    if (stream === undefined) throw new Error('no stream')
    for await (const _ of stream) break
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(stream.completionText().length).toBeLessThan(TINY_GGUF_ANSWER.length)
    const next = await c.chat?.(ask('Again', { max_tokens: 2 }), call())
    expect(JSON.parse(next?.body ?? '{}').choices[0].message.content).toBe('ab')
  })

  test('with one sequence, requests take turns and a waiter that gives up leaves the line', async () => {
    const c = client({ sequences: 1 })
    const first = c.chat?.(ask('one'), call())
    const quitter = new AbortController()
    const waiting = c.chat?.(ask('two'), call(quitter.signal)).catch((e: unknown) => e)
    const third = c.chat?.(ask('three', { max_tokens: 4 }), call())
    quitter.abort(new Error('gave up'))
    expect(((await waiting) as Error).message).toBe('gave up')
    expect(JSON.parse((await first)?.body ?? '{}').choices[0].message.content).toBe(TINY_GGUF_ANSWER)
    expect(JSON.parse((await third)?.body ?? '{}').choices[0].message.content).toBe('abcd')
  })
})

describe('embeddings', () => {
  test('vectors have the model dimension, unit length, and differ by input', async () => {
    const c = client()
    const result = await c.embeddings?.({ model: 'tiny-alias', input: ['hello', 'world'] }, call())
    const body = JSON.parse(result?.body ?? '{}')
    expect(isEmbeddings.Check(body)).toBe(true)
    expect(body.model).toBe('tiny-alias')
    const [a, b] = body.data.map((d: { embedding: number[] }) => d.embedding)
    expect(a).toHaveLength(reference.embeddingVectorSize)
    expect(reference.embeddingVectorSize).toBe(64)
    expect(Math.hypot(...a)).toBeCloseTo(1, 5)
    expect(a).not.toEqual(b)
    expect(body.data.map((d: { index: number }) => d.index)).toEqual([0, 1])
    expect(result?.promptTokens()).toBe(body.usage.prompt_tokens)
    expect(body.usage.prompt_tokens).toBeGreaterThanOrEqual(10)
  })

  test('base64 encodes the same floats; token ids are accepted; wrong dimensions are refused', async () => {
    const c = client()
    const floats = JSON.parse((await c.embeddings?.({ model: 'm', input: 'hello' }, call()))?.body ?? '{}')
      .data[0].embedding
    const encoded = JSON.parse(
      (await c.embeddings?.({ model: 'm', input: 'hello', encoding_format: 'base64' }, call()))?.body ?? '{}',
    ).data[0].embedding
    const bytes = Buffer.from(encoded, 'base64')
    const decoded = [...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)]
    expect(decoded.map((x) => x.toFixed(5))).toEqual(floats.map((x: number) => x.toFixed(5)))
    const tokens = [...reference.tokenize('hello')]
    const byIds = JSON.parse((await c.embeddings?.({ model: 'm', input: tokens }, call()))?.body ?? '{}')
    expect(byIds.data[0].embedding).toHaveLength(64)
    const wrong = await c
      .embeddings?.({ model: 'm', input: 'x', dimensions: 8 }, call())
      .catch((e: unknown) => e)
    expect((wrong as UpstreamError).kind).toBe('bad_request')
    const unknownId = await c
      .embeddings?.({ model: 'm', input: [1_000_000] }, call())
      .catch((e: unknown) => e)
    expect((unknownId as UpstreamError).kind).toBe('bad_request')
  })
})

describe('lifecycle', () => {
  test('nothing loads before the first call; two deployments share one model; close unloads it', async () => {
    const store = new ModelStore()
    const provider = createLocalProvider(store)
    const a = provider.createClient(deployment({}, 'a'), { logger })
    const b = provider.createClient(deployment({}, 'b'), { logger })
    expect(await a.listModels?.(new AbortController().signal)).toEqual([modelPath])
    expect(store.loadedPaths()).toEqual([])
    await a.chat?.(ask('Hi', { max_tokens: 1 }), call())
    await b.chat?.(ask('Hi', { max_tokens: 1 }), call())
    expect(store.loadedPaths()).toEqual([modelPath])
    await a.close()
    expect(store.loadedPaths()).toEqual([modelPath])
    await b.close()
    expect(store.loadedPaths()).toEqual([])
    const closed = await a.chat?.(ask('Hi'), call()).catch((e: unknown) => e)
    expect((closed as UpstreamError).kind).toBe('connect')
  })

  test('close waits for the answer in flight', async () => {
    const provider = createLocalProvider()
    const c = provider.createClient(deployment(), { logger })
    const answer = c.chat?.(ask('Hi'), call())
    await new Promise((resolve) => setTimeout(resolve, 5))
    await c.close()
    expect(JSON.parse((await answer)?.body ?? '{}').choices[0].message.content).toBe(TINY_GGUF_ANSWER)
  })

  test('a missing model file is a connect failure that names the file, and fails the probe', async () => {
    const c = createLocalProvider().createClient(
      { ...deployment(), model: join(dir, 'absent.gguf') },
      { logger },
    )
    onTestFinished(() => c.close())
    const error = await c.chat?.(ask('Hi'), call()).catch((e: unknown) => e)
    expect((error as UpstreamError).kind).toBe('connect')
    expect((error as Error).message).toContain('absent.gguf')
    await expect(c.listModels?.(new AbortController().signal)).rejects.toThrow(/absent\.gguf/)
  })

  test('invalid options are refused when the deployment is created, every problem listed', () => {
    const provider = createLocalProvider()
    expect(() => provider.createClient(deployment({ contextSize: 'big', gpu: 'tpu' }), { logger })).toThrow(
      /contextSize[\s\S]*gpu/,
    )
  })
})
