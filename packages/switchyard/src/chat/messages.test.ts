import { estimateTokens } from '@switchyard/chat'
import { alice, countTokens } from '@switchyard/testing'
import { afterAll, beforeAll, beforeEach, expect, test, vi } from 'vitest'
import {
  type ChatUnderTest,
  MODEL,
  messageIdOf,
  numberedWords,
  readAll,
  type SseEvent,
  seqOf,
  sseReader,
  startChat,
  streamedText,
  untilDeltas,
} from './chat-under-test.ts'

/** Longest message in this file's config, so the limit is cheap to cross. */
const MAX_CHARS = 2_000
/** Window of an alias chat has no entry for ('router-only'): small, so history gets dropped. */
const SMALL_WINDOW = 512

let chat: ChatUnderTest
beforeAll(async () => {
  chat = await startChat({
    CHAT_MAX_MESSAGE_CHARS: String(MAX_CHARS),
    CHAT_DEFAULT_CONTEXT_WINDOW: String(SMALL_WINDOW),
  })
}, 60_000)
afterAll(async () => chat?.close())
beforeEach(() => chat.upstream.reset())

async function newConversation(body: Record<string, unknown> = {}): Promise<{ id: string }> {
  const res = await chat.call('POST', '/v1/conversations', { body: { model: MODEL, ...body } })
  expect(res.status).toBe(201)
  return res.json()
}

async function getMessage(conversationId: string, messageId: string) {
  return (await chat.call('GET', `/v1/conversations/${conversationId}/messages/${messageId}`)).json()
}

test('a client that leaves mid-answer reconnects with Last-Event-ID and gets exactly the missing events; the stored answer is the streamed text', async () => {
  const reply = numberedWords(80)
  chat.upstream.setBehavior({ reply, tokensPerSecond: 80 })
  const conversation = await newConversation()
  const leaving = new AbortController()
  const res = await chat.call('POST', `/v1/conversations/${conversation.id}/messages`, {
    body: { content: 'count to eighty' },
    signal: leaving.signal,
  })
  const before = await untilDeltas(sseReader(res), 5)
  leaving.abort()
  const last = before.at(-1) as SseEvent
  const messageId = messageIdOf(last)
  // The generation went on without a listener: the message is still being written.
  expect((await getMessage(conversation.id, messageId)).status).toBe('streaming')

  const resumed = await chat.call(
    'GET',
    `/v1/conversations/${conversation.id}/messages/${messageId}/stream`,
    {
      headers: { 'last-event-id': last.id as string },
    },
  )
  expect(resumed.status).toBe(200)
  const after = await readAll(sseReader(resumed))

  const all = [...before, ...after]
  // Every event once, none missing: sequence numbers run 1..n without a gap or a repeat.
  expect(all.map(seqOf)).toEqual(all.map((_, i) => i + 1))
  expect(after[0] && seqOf(after[0])).toBe(seqOf(last) + 1)
  expect(all.map((e) => e.event)).toEqual([
    'message.start',
    ...Array.from({ length: 80 }, () => 'message.delta'),
    'usage',
    'done',
  ])
  expect(streamedText(all)).toBe(reply)
  expect(JSON.parse((all.at(-2) as SseEvent).data)).toMatchObject({ inputTokens: 3, outputTokens: 80 })
  expect(await getMessage(conversation.id, messageId)).toMatchObject({
    content: reply,
    status: 'complete',
    finishReason: 'stop',
    outputTokens: countTokens(reply),
  })
})

test('with nobody listening the answer is finished and stored, and its stream can be replayed from the start', async () => {
  const reply = numberedWords(30)
  chat.upstream.setBehavior({ reply, tokensPerSecond: 200 })
  const conversation = await newConversation()
  const leaving = new AbortController()
  const res = await chat.call('POST', `/v1/conversations/${conversation.id}/messages`, {
    body: { content: 'talk to nobody' },
    signal: leaving.signal,
  })
  const first = await sseReader(res).next()
  leaving.abort()
  const messageId = messageIdOf(first)
  await vi.waitFor(
    async () => expect((await getMessage(conversation.id, messageId)).status).toBe('complete'),
    {
      timeout: 10_000,
      interval: 50,
    },
  )
  expect((await getMessage(conversation.id, messageId)).content).toBe(reply)

  const replay = await readAll(
    sseReader(await chat.call('GET', `/v1/conversations/${conversation.id}/messages/${messageId}/stream`)),
  )
  expect(streamedText(replay)).toBe(reply)
  expect(replay.at(-1)?.event).toBe('done')
})

test('the partial answer is saved while it grows', async () => {
  const reply = numberedWords(60)
  chat.upstream.setBehavior({ reply, tokensPerSecond: 40 })
  const conversation = await newConversation()
  const res = await chat.call('POST', `/v1/conversations/${conversation.id}/messages`, {
    body: { content: 'slowly' },
  })
  const reader = sseReader(res)
  const seen = await untilDeltas(reader, 10)
  const messageId = messageIdOf(seen[0])
  // Saved every 50 ms here: the store holds a growing prefix of what was streamed, still `streaming`.
  await vi.waitFor(
    async () => {
      const stored = await getMessage(conversation.id, messageId)
      expect(stored.status).toBe('streaming')
      expect(countTokens(stored.content)).toBeGreaterThanOrEqual(5)
      expect(reply.startsWith(stored.content)).toBe(true)
    },
    { timeout: 5_000, interval: 20 },
  )
  await chat.call('POST', `/v1/conversations/${conversation.id}/messages/${messageId}/stop`)
  await readAll(reader)
})

test('stop ends the generation and stores the partial answer, which then no longer grows', async () => {
  const reply = numberedWords(120)
  chat.upstream.setBehavior({ reply, tokensPerSecond: 40 })
  const conversation = await newConversation()
  const res = await chat.call('POST', `/v1/conversations/${conversation.id}/messages`, {
    body: { content: 'go on' },
  })
  const reader = sseReader(res)
  const before = await untilDeltas(reader, 4)
  const messageId = messageIdOf(before[0])

  const stop = await chat.call('POST', `/v1/conversations/${conversation.id}/messages/${messageId}/stop`)
  expect(stop.status).toBe(200)
  const { message } = await stop.json()
  const after = await readAll(reader)
  const streamed = streamedText([...before, ...after])

  expect(message).toMatchObject({ id: messageId, status: 'stopped', content: streamed })
  expect(countTokens(streamed)).toBeGreaterThanOrEqual(4)
  expect(countTokens(streamed)).toBeLessThan(120)
  expect(reply.startsWith(streamed)).toBe(true)
  expect(after.at(-1)?.event).toBe('done')
  expect(JSON.parse(after.at(-1)?.data as string)).toMatchObject({ status: 'stopped' })
  // The router's upstream call is cut off too (the whole reply would take 3 s): in one process the
  // in-process dispatcher passes the cancelled stream on as a closed connection.
  await expect
    .poll(() => chat.upstream.requests.find((r) => r.path === '/v1/chat/completions')?.aborted, {
      timeout: 2_000,
    })
    .toBe(true)
  // Tokens still coming from upstream would land within this wait: none are taken any more.
  await new Promise((resolve) => setTimeout(resolve, 300))
  expect(await getMessage(conversation.id, messageId)).toMatchObject({ status: 'stopped', content: streamed })
  // A second stop changes nothing.
  const again = await chat.call('POST', `/v1/conversations/${conversation.id}/messages/${messageId}/stop`)
  expect((await again.json()).message).toMatchObject({ status: 'stopped', content: streamed })
})

test('bad input (empty, too long, unknown parent, bad cursor, missing field) is a clear 400 and stores nothing', async () => {
  const conversation = await newConversation()
  const path = `/v1/conversations/${conversation.id}/messages`
  const cases: [unknown, string, string][] = [
    [{ content: '' }, 'CHAT_ERR_EMPTY_MESSAGE', 'content'],
    [{ content: '  \n\t ' }, 'CHAT_ERR_EMPTY_MESSAGE', 'content'],
    [{ content: 'x'.repeat(MAX_CHARS + 1) }, 'CHAT_ERR_MESSAGE_TOO_LONG', 'content'],
    [{ content: 'hi', parentId: 'e79dd810-eaa9-11f1-922c-25650ad5a411' }, 'CHAT_ERR_BAD_PARENT', 'parentId'],
    [{}, 'KIT_ERR_VALIDATION', 'content'],
    [{ content: 42 }, 'KIT_ERR_VALIDATION', 'content'],
  ]
  for (const [body, code, param] of cases) {
    const res = await chat.call('POST', path, { body })
    expect({ body, status: res.status }).toEqual({ body, status: 400 })
    const { error } = await res.json()
    expect(error.code).toBe(code)
    expect(error.param).toContain(param)
  }
  const badCursor = await chat.call(
    'GET',
    `${path}?cursor=${Buffer.from('{"k":"conversations"}').toString('base64url')}`,
  )
  expect(badCursor.status).toBe(400)
  expect((await badCursor.json()).error.code).toBe('CHAT_ERR_BAD_CURSOR')

  expect((await (await chat.call('GET', path)).json()).data).toEqual([])
  expect(chat.upstream.requests).toHaveLength(0)
  expect(chat.events.filter((e) => e.conversationId === conversation.id)).toEqual([])
  const after = await (await chat.call('GET', `/v1/conversations/${conversation.id}`)).json()
  expect(after.activeLeafId).toBeNull()
})

test('regenerate and edit make sibling branches; the model sees only the active branch', async () => {
  const conversation = await newConversation()
  const base = `/v1/conversations/${conversation.id}`
  const ask = async (path: string, body?: unknown) => {
    const events = await readAll(sseReader(await chat.call('POST', path, body === undefined ? {} : { body })))
    const start = JSON.parse(events[0]?.data as string)
    return { id: start.messageId as string, parentId: start.parentId as string, text: streamedText(events) }
  }
  const lastPrompt = () => {
    const body = chat.upstream.requests.at(-1)?.body as { messages: { role: string; content: string }[] }
    return body.messages.map((m) => `${m.role}: ${m.content}`)
  }

  const a1 = await ask(`${base}/messages`, { content: 'first question' })
  const q1 = a1.parentId
  const a2 = await ask(`${base}/messages/${a1.id}/regenerate`)
  expect(a2.parentId).toBe(q1)
  expect(lastPrompt()).toEqual(['user: first question'])

  const a3 = await ask(`${base}/messages/${q1}/edit`, { content: 'edited question' })
  const q1edited = await getMessage(conversation.id, a3.parentId)
  expect(q1edited).toMatchObject({ role: 'user', parentId: null, content: 'edited question' })
  expect(lastPrompt()).toEqual(['user: edited question'])

  await ask(`${base}/messages`, { content: 'follow up' })
  expect(lastPrompt()).toEqual(['user: edited question', `assistant: ${a3.text}`, 'user: follow up'])

  // Back to the regenerated answer's branch.
  const switched = await chat.call('PATCH', base, { body: { activeLeafId: a2.id } })
  expect((await switched.json()).activeLeafId).toBe(a2.id)
  const a5 = await ask(`${base}/messages`, { content: 'other branch' })
  expect(lastPrompt()).toEqual(['user: first question', `assistant: ${a2.text}`, 'user: other branch'])
  expect((await (await chat.call('GET', base)).json()).activeLeafId).toBe(a5.id)

  const listed = (await (await chat.call('GET', `${base}/messages?limit=100`)).json()).data as {
    parentId: string
  }[]
  // q1, a1, a2 (regenerated), q1 edited, a3, follow up, its answer, other branch, a5.
  expect(listed).toHaveLength(9)
  expect(listed.filter((m) => m.parentId === q1)).toHaveLength(2)

  // Only user messages are edited, only answers regenerated.
  const wrong = await chat.call('POST', `${base}/messages/${a1.id}/edit`, { body: { content: 'x' } })
  expect((await wrong.json()).error.code).toBe('CHAT_ERR_WRONG_ROLE')
})

test('the history sent fits the alias window: oldest turns go first, the system prompt stays', async () => {
  const system = 'You answer in one line.'
  const conversation = await newConversation({ model: 'router-only', systemPrompt: system })
  const path = `/v1/conversations/${conversation.id}/messages`
  // ~100 tokens per question; each echoed answer is as long: three exchanges overflow the window.
  const questions = ['alpha', 'bravo', 'charlie', 'delta'].map((word) =>
    `${word} ${'lorem '.repeat(66)}`.trim(),
  )
  for (const content of questions)
    await readAll(sseReader(await chat.call('POST', path, { body: { content } })))

  const request = chat.upstream.requests.at(-1)?.body as {
    messages: { role: string; content: string }[]
    max_tokens: number
  }
  const maxOutput = Math.floor(SMALL_WINDOW / 4)
  expect(request.max_tokens).toBe(maxOutput)
  const sent = request.messages
  expect(sent[0]).toEqual({ role: 'system', content: system })
  expect(sent.at(-1)).toEqual({ role: 'user', content: questions[3] })
  expect(sent[1]?.role).toBe('user')
  expect(sent.map((m) => m.content)).not.toContain(questions[0])
  const estimated = sent.reduce((sum, m) => sum + estimateTokens(m.content), 0)
  expect(estimated).toBeLessThanOrEqual(SMALL_WINDOW - maxOutput)
  // What was kept is the newest part of the branch, in order.
  const branch = (await (await chat.call('GET', `${path}?limit=100`)).json()).data
    .filter((m: { id: string }) => m.id !== undefined)
    .reverse()
    .map((m: { content: string }) => m.content)
    .slice(0, -1)
  expect(sent.slice(1).map((m) => m.content)).toEqual(branch.slice(branch.length - (sent.length - 1)))

  // One message that cannot fit the window at all is refused before anything is stored.
  const huge = await chat.call('POST', path, { body: { content: 'word '.repeat(390).trim() } })
  expect(huge.status).toBe(400)
  expect((await huge.json()).error.code).toBe('CHAT_ERR_CONTEXT_TOO_SMALL')
  expect((await (await chat.call('GET', `${path}?limit=100`)).json()).data).toHaveLength(8)
})

test('?format=openai streams chat.completion.chunk events and [DONE]', async () => {
  const reply = numberedWords(12)
  chat.upstream.setBehavior({ reply })
  const conversation = await newConversation()
  const res = await chat.call('POST', `/v1/conversations/${conversation.id}/messages?format=openai`, {
    body: { content: 'openai please' },
  })
  const events = await readAll(sseReader(res))
  expect(events.at(-1)?.data).toBe('[DONE]')
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data))
  for (const chunk of chunks) expect(chunk).toMatchObject({ object: 'chat.completion.chunk', model: MODEL })
  expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' })
  expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(reply)
  expect(chunks.find((c) => c.usage)?.usage).toEqual({
    prompt_tokens: 2,
    completion_tokens: 12,
    total_tokens: 14,
  })
  expect(chunks.at(-1).choices[0].finish_reason).toBe('stop')
  // Ids still resume: <messageId>:<seq>, increasing.
  const seqs = events.slice(0, -1).map(seqOf)
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
})

test('every stored message is announced on chat.messages.v1, without content', async () => {
  const reply = numberedWords(7)
  chat.upstream.setBehavior({ reply })
  const conversation = await newConversation()
  const events = await readAll(
    sseReader(
      await chat.call('POST', `/v1/conversations/${conversation.id}/messages`, {
        body: { content: 'one two' },
      }),
    ),
  )
  const answerId = messageIdOf(events[0])
  await vi.waitFor(() =>
    expect(chat.events.filter((e) => e.conversationId === conversation.id)).toHaveLength(2),
  )
  const [question, answer] = chat.events.filter((e) => e.conversationId === conversation.id)
  expect(question).toMatchObject({
    orgId: alice.orgId,
    userId: alice.userId,
    role: 'user',
    model: null,
    inputTokens: null,
    outputTokens: null,
  })
  expect(answer).toMatchObject({
    messageId: answerId,
    role: 'assistant',
    model: MODEL,
    inputTokens: 2,
    outputTokens: 7,
  })
  expect(JSON.stringify(answer)).not.toContain('w1')
})

test('a reconnect with a Last-Event-ID of another message is a 400, and an unknown message a 404', async () => {
  const conversation = await newConversation()
  const events = await readAll(
    sseReader(
      await chat.call('POST', `/v1/conversations/${conversation.id}/messages`, { body: { content: 'hi' } }),
    ),
  )
  const messageId = messageIdOf(events[0])
  const path = `/v1/conversations/${conversation.id}/messages/${messageId}/stream`
  const foreign = await chat.call('GET', path, {
    headers: { 'last-event-id': 'e79dd810-eaa9-11f1-922c-25650ad5a411:3' },
  })
  expect(foreign.status).toBe(400)
  expect((await foreign.json()).error.code).toBe('CHAT_ERR_BAD_LAST_EVENT_ID')
  const unknown = await chat.call(
    'GET',
    `/v1/conversations/${conversation.id}/messages/e79dd810-eaa9-11f1-922c-25650ad5a411/stream`,
  )
  expect(unknown.status).toBe(404)
  expect((await unknown.json()).error.code).toBe('CHAT_ERR_MESSAGE_NOT_FOUND')
  // Caught up: a reconnect after the last event gets nothing more and ends at once.
  const lastId = events.at(-1)?.id as string
  const caughtUp = await chat.call('GET', `${path}?lastEventId=${encodeURIComponent(lastId)}`)
  expect(await readAll(sseReader(caughtUp))).toEqual([])
})
