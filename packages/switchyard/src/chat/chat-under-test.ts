// Shared by the tests of chat with the real llm-router: both through the harness of
// @switchyard/testing (the `switchyard start` path), chat on a real port so clients can disconnect,
// a fake OpenAI upstream behind the router, and the chat.messages.v1 events a stand-in consumer heard.
import { chatService, createChatPlugin } from '@switchyard/chat'
import { type AgentClient, type ChatMessagesV1, chatMessagesV1, type Identity } from '@switchyard/contracts'
import { defineService } from '@switchyard/kit'
import { llmRouterService } from '@switchyard/llm-router'
import type { Switchyard } from '@switchyard/runtime'
import {
  type AuthHeaders,
  buildTestApp,
  type FakeUpstream,
  recordEvents,
  standIn,
  startFakeOpenAI,
} from '@switchyard/testing'

export const MODEL = 'fake-chat'

/** A fetch Response whose JSON the tests read field by field. */
export type TestResponse = Omit<Response, 'json'> & {
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field
  json(): Promise<any>
}

export interface ChatUnderTest {
  /** Where chat's own server listens. */
  url: string
  switchyard: Switchyard
  upstream: FakeUpstream
  /** Every chat.messages.v1 event published so far. */
  events: ChatMessagesV1[]
  headers(identity?: Identity): Promise<AuthHeaders>
  /** fetch against the running app as `identity`, JSON body when given. */
  call(
    method: string,
    path: string,
    options?: { as?: Identity; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<TestResponse>
  close(): Promise<void>
}

/**
 * Starts llm-router + chat through the runtime (PGlite, in-process bus, memory state) with one
 * alias, `fake-chat`, routed to a fake upstream. `env` adds or overrides config keys; `agent`
 * stands in for agent's client (a scripted agent).
 */
export async function startChat(
  env: Record<string, string> = {},
  options: { agent?: AgentClient } = {},
): Promise<ChatUnderTest> {
  const upstream = await startFakeOpenAI({ models: [MODEL] })
  let events: { data: ChatMessagesV1 }[] = []
  // A stand-in consumer of chat.messages.v1, as analytics would be (any free service name will do).
  const audit = standIn('agent', {
    needs: ['bus'],
    register: async (_app, ctx) => {
      events = await recordEvents(ctx.bus, chatMessagesV1, 'test-audit')
    },
  })
  const catalog = {
    models: {
      [MODEL]: { deployments: [{ id: 'fake-1', provider: 'openai', baseUrl: upstream.url, model: MODEL }] },
      // Known to the router only: chat accepts it with the default context window.
      'router-only': {
        deployments: [{ id: 'fake-2', provider: 'openai', baseUrl: upstream.url, model: MODEL }],
      },
    },
  }
  const testApp = await buildTestApp({
    services: {
      'llm-router': llmRouterService,
      chat: options.agent
        ? defineService({ ...chatService, plugin: createChatPlugin({ agent: options.agent }) })
        : chatService,
      agent: audit.service,
    },
    env: {
      LLM_ROUTER_MODELS: JSON.stringify(catalog),
      CHAT_MODELS: JSON.stringify({ [MODEL]: { contextWindow: 4096, maxOutputTokens: 1024 } }),
      CHAT_SAVE_INTERVAL_MS: '50ms',
      SHUTDOWN_GRACE_MS: '1s',
      ...env,
    },
    listen: true,
  })
  // Chat on a socket of its own, as it listens when it runs alone, so clients really disconnect.
  const url = await testApp.serve('chat')
  const recorded = events
  return {
    url,
    switchyard: testApp.switchyard,
    upstream,
    get events() {
      return recorded.map((event) => event.data)
    },
    headers: testApp.headers,
    async call(method, path, options = {}) {
      return fetch(`${url}${path}`, {
        method,
        headers: {
          ...(await testApp.headers(options.as)),
          ...(options.body !== undefined && { 'content-type': 'application/json' }),
          ...options.headers,
        },
        ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
        ...(options.signal && { signal: options.signal }),
      })
    },
    async close() {
      await testApp.close()
      await upstream.close()
    },
  }
}

export interface SseEvent {
  id: string | undefined
  event: string | undefined
  data: string
}

/**
 * Reads server-sent events from a response as they arrive. `next()` answers the next event, or
 * undefined when the stream ended.
 */
export function sseReader(res: Response): { next(): Promise<SseEvent | undefined>; cancel(): Promise<void> } {
  if (!res.body) throw new Error('the response has no body')
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  const queue: SseEvent[] = []
  const parseFrames = () => {
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const frame = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      let id: string | undefined
      let event: string | undefined
      const data: string[] = []
      for (const line of frame.split('\n')) {
        if (line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon === -1 ? line : line.slice(0, colon)
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'id') id = value
        else if (field === 'event') event = value
        else if (field === 'data') data.push(value)
      }
      if (data.length > 0) queue.push({ id, event, data: data.join('\n') })
    }
  }
  return {
    async next() {
      for (;;) {
        const queued = queue.shift()
        if (queued) return queued
        const { value, done } = await reader.read()
        if (done) return undefined
        buffer += value
        parseFrames()
      }
    },
    cancel: () => reader.cancel(),
  }
}

/** Every remaining event of a stream. */
export async function readAll(reader: ReturnType<typeof sseReader>): Promise<SseEvent[]> {
  const all: SseEvent[] = []
  for (let e = await reader.next(); e !== undefined; e = await reader.next()) all.push(e)
  return all
}

/** The message id in an SSE id (`<messageId>:<seq>`). */
export function messageIdOf(event: SseEvent | undefined): string {
  const id = event?.id?.split(':')[0]
  if (id === undefined) throw new Error('the event has no id')
  return id
}

/** The sequence number in an SSE id (`<messageId>:<seq>`). */
export const seqOf = (event: SseEvent) => Number(event.id?.split(':')[1])

/** The answer's text: its `message.delta` events joined. */
export const streamedText = (events: SseEvent[]) =>
  events
    .filter((e) => e.event === 'message.delta')
    .map((e) => JSON.parse(e.data).delta)
    .join('')

/** Reads events until `count` deltas arrived. */
export async function untilDeltas(reader: ReturnType<typeof sseReader>, count: number): Promise<SseEvent[]> {
  const seen: SseEvent[] = []
  while (seen.filter((e) => e.event === 'message.delta').length < count) {
    const event = await reader.next()
    if (event === undefined) throw new Error(`the stream ended after ${seen.length} events`)
    seen.push(event)
  }
  return seen
}

/** `n` words `w1 w2 ... wn`: a reply whose every token is distinct, so order and gaps show. */
export function numberedWords(n: number): string {
  return Array.from({ length: n }, (_, i) => `w${i + 1}`).join(' ')
}
