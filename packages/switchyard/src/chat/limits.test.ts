import { chatService } from '@switchyard/chat'
import { alice, bob, buildTestApp, standIn, type TestApp } from '@switchyard/testing'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  type ChatUnderTest,
  MODEL,
  messageIdOf,
  numberedWords,
  readAll,
  sseReader,
  startChat,
  type TestResponse,
  untilDeltas,
} from './chat-under-test.ts'

// Chat's limits on what one caller or one slow peer can hold: concurrent answers per user, and how
// long it waits for the llm-router and admin.

describe('a per-user cap on concurrent generations (CHAT_MAX_CONCURRENT_GENERATIONS=1)', () => {
  let chat: ChatUnderTest
  beforeAll(async () => {
    chat = await startChat({ CHAT_MAX_CONCURRENT_GENERATIONS: '1' })
  }, 60_000)
  afterAll(async () => chat?.close())

  const newConversation = async (as = alice): Promise<string> => {
    const res = await chat.call('POST', '/v1/conversations', { body: { model: MODEL }, as })
    expect(res.status).toBe(201)
    return (await res.json()).id
  }
  const send = (conversationId: string, init: { as?: typeof alice; signal?: AbortSignal } = {}) =>
    chat.call('POST', `/v1/conversations/${conversationId}/messages`, { body: { content: 'go' }, ...init })
  const expectRefused = async (res: TestResponse) => {
    expect(res.status).toBe(429)
    expect((await res.json()).error).toMatchObject({
      code: 'CHAT_ERR_TOO_MANY_GENERATIONS',
      type: 'rate_limit_error',
    })
  }

  test('one more answer is a 429 with a stable code; the slot comes back when the answer finishes', async () => {
    chat.upstream.reset()
    chat.upstream.setBehavior({ reply: numberedWords(40), tokensPerSecond: 40 })
    const [first, second] = [await newConversation(), await newConversation()]
    const running = sseReader(await send(first))
    await untilDeltas(running, 1)
    await expectRefused(await send(second))
    // Another user has slots of their own.
    const bobs = await send(await newConversation(bob), { as: bob })
    expect(bobs.status).toBe(200)
    await readAll(sseReader(bobs))

    expect((await readAll(running)).at(-1)?.event).toBe('done')
    chat.upstream.setBehavior({ reply: 'again' })
    const next = await send(second)
    expect(next.status).toBe(200)
    expect((await readAll(sseReader(next))).at(-1)?.event).toBe('done')
  })

  test('the slot comes back when the answer fails, and when the request fails before it starts', async () => {
    chat.upstream.reset()
    chat.upstream.setBehavior({ status: 500, message: 'upstream broke' })
    const conversation = await newConversation()
    const failed = await readAll(sseReader(await send(conversation)))
    expect(failed.at(-1)?.event).toBe('error')

    // Refused after the slot was taken (no such parent): the slot is given back all the same.
    const badParent = await chat.call('POST', `/v1/conversations/${conversation}/messages`, {
      body: { content: 'go', parentId: '00000000-0000-1000-8000-000000000000' },
    })
    expect(badParent.status).toBe(400)

    chat.upstream.setBehavior({ reply: 'fine now' })
    const next = await send(conversation)
    expect(next.status).toBe(200)
    expect((await readAll(sseReader(next))).at(-1)?.event).toBe('done')
  })

  test('a client that leaves does not free the slot while its answer runs on, and the end does', async () => {
    chat.upstream.reset()
    chat.upstream.setBehavior({ reply: numberedWords(40), tokensPerSecond: 40 })
    const conversation = await newConversation()
    const leaving = new AbortController()
    const before = await untilDeltas(sseReader(await send(conversation, { signal: leaving.signal })), 1)
    leaving.abort()
    // Leaving is no way around the cap: the answer is still being written.
    await expectRefused(await send(await newConversation()))

    // Follow the answer to its end from the log, then the slot is free again.
    const messageId = messageIdOf(before[0])
    const rest = await readAll(
      sseReader(await chat.call('GET', `/v1/conversations/${conversation}/messages/${messageId}/stream`)),
    )
    expect(rest.at(-1)?.event).toBe('done')
    chat.upstream.setBehavior({ reply: 'after' })
    const next = await send(await newConversation())
    expect(next.status).toBe(200)
    expect((await readAll(sseReader(next))).at(-1)?.event).toBe('done')
  })
})

describe('timeouts on calls to peers that never answer', () => {
  let testApp: TestApp
  // Held until the end: the stand-ins answer nothing before then.
  const never = Promise.withResolvers<void>()
  const silent = (name: 'llm-router' | 'admin', routes: ['GET' | 'POST', string][]) =>
    standIn(name, {
      register: async (app) => {
        for (const [method, url] of routes) {
          app.route({
            method,
            url,
            handler: async (_request, reply) => {
              await never.promise
              return reply.code(503).send()
            },
          })
        }
      },
    })

  beforeAll(async () => {
    testApp = await buildTestApp({
      services: {
        chat: chatService,
        'llm-router': silent('llm-router', [
          ['GET', '/v1/models/:alias'],
          ['POST', '/v1/chat/completions'],
        ]).service,
        admin: silent('admin', [['GET', '/v1/prompts/:name']]).service,
      },
      env: {
        CHAT_MODELS: JSON.stringify({ [MODEL]: { contextWindow: 4096 } }),
        CHAT_ROUTER_TIMEOUT_MS: '50ms',
        CHAT_ADMIN_TIMEOUT_MS: '50ms',
        SHUTDOWN_GRACE_MS: '1s',
      },
    })
  }, 60_000)
  afterAll(async () => {
    never.resolve()
    await testApp?.close()
  })

  const create = async (body: Record<string, unknown>) => {
    const res = await testApp.app('chat').inject({
      method: 'POST',
      url: '/v1/conversations',
      headers: await testApp.headers(),
      payload: body,
    })
    return { status: res.statusCode, error: res.json().error }
  }

  test('a model check the llm-router never answers is a 504 CHAT_ERR_ROUTER_TIMEOUT', async () => {
    const { status, error } = await create({ model: 'known-to-the-router-only' })
    expect(status).toBe(504)
    expect(error).toMatchObject({ code: 'CHAT_ERR_ROUTER_TIMEOUT', type: 'server_error' })
  })

  test('a prompt reference admin never resolves is a 504 CHAT_ERR_ADMIN_TIMEOUT', async () => {
    const { status, error } = await create({ model: MODEL, prompt: 'greeter@production' })
    expect(status).toBe(504)
    expect(error).toMatchObject({ code: 'CHAT_ERR_ADMIN_TIMEOUT', type: 'server_error' })
  })

  test('a generation the llm-router never answers ends in-band with CHAT_ERR_ROUTER_TIMEOUT', async () => {
    const chat = testApp.app('chat')
    const headers = await testApp.headers()
    const created = await chat.inject({
      method: 'POST',
      url: '/v1/conversations',
      headers,
      payload: { model: MODEL },
    })
    const { id } = created.json()
    const sent = await chat.inject({
      method: 'POST',
      url: `/v1/conversations/${id}/messages`,
      headers,
      payload: { content: 'hello?' },
    })
    const last = sent.body.trim().split('\n\n').at(-1) ?? ''
    expect(last).toContain('event: error')
    expect(last).toContain('"code":"CHAT_ERR_ROUTER_TIMEOUT"')
    const messageId = /"messageId":"([^"]+)"/.exec(sent.body)?.[1]
    const stored = await chat.inject({
      method: 'GET',
      url: `/v1/conversations/${id}/messages/${messageId}`,
      headers,
    })
    expect(stored.json()).toMatchObject({ status: 'failed', errorCode: 'CHAT_ERR_ROUTER_TIMEOUT' })
  })

  test('content parts (an image_url) are refused with a 400: chat sends the router text only', async () => {
    const chat = testApp.app('chat')
    const headers = await testApp.headers()
    const created = await chat.inject({
      method: 'POST',
      url: '/v1/conversations',
      headers,
      payload: { model: MODEL },
    })
    const sent = await chat.inject({
      method: 'POST',
      url: `/v1/conversations/${created.json().id}/messages`,
      headers,
      payload: { content: [{ type: 'image_url', image_url: { url: 'http://169.254.169.254/latest' } }] },
    })
    expect(sent.statusCode).toBe(400)
    expect(sent.json().error).toMatchObject({ type: 'invalid_request_error' })
  })
})
