import { alice, bob, eve } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type ChatUnderTest, MODEL, messageIdOf, readAll, sseReader, startChat } from './chat-under-test.ts'

let chat: ChatUnderTest
beforeAll(async () => {
  chat = await startChat()
}, 60_000)
afterAll(async () => chat?.close())

async function create(body: Record<string, unknown>, as = alice) {
  const res = await chat.call('POST', '/v1/conversations', { body, as })
  return { status: res.status, body: await res.json() }
}

test('a conversation is created, read, renamed and deleted by its owner', async () => {
  const created = await create({ model: MODEL, title: '  Trip planning ', systemPrompt: 'Be brief.' })
  expect(created.status).toBe(201)
  expect(created.body).toMatchObject({
    object: 'conversation',
    title: 'Trip planning',
    model: MODEL,
    systemPrompt: 'Be brief.',
    prompt: null,
    activeLeafId: null,
  })
  const id = created.body.id as string
  expect(await (await chat.call('GET', `/v1/conversations/${id}`)).json()).toEqual(created.body)

  const patched = await chat.call('PATCH', `/v1/conversations/${id}`, {
    body: { title: 'Trip', systemPrompt: null },
  })
  expect(await patched.json()).toMatchObject({ id, title: 'Trip', systemPrompt: null })

  expect((await chat.call('DELETE', `/v1/conversations/${id}`)).status).toBe(204)
  const gone = await chat.call('GET', `/v1/conversations/${id}`)
  expect(gone.status).toBe(404)
  expect((await gone.json()).error.code).toBe('CHAT_ERR_CONVERSATION_NOT_FOUND')
})

test('the list pages by last activity, newest first, with an opaque cursor; a bad cursor is a 400', async () => {
  const owner = { ...alice, userId: 'user_lister' }
  const ids: string[] = []
  for (let i = 0; i < 5; i++) ids.push((await create({ model: MODEL, title: `c${i}` }, owner)).body.id)
  // Activity moves the oldest to the top.
  await chat.call('PATCH', `/v1/conversations/${ids[0]}`, { body: { title: 'c0 again' }, as: owner })
  const res = await chat.call('POST', `/v1/conversations/${ids[0]}/messages`, {
    body: { content: 'hi' },
    as: owner,
  })
  await readAll(sseReader(res))

  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2'
    const page = await (await chat.call('GET', `/v1/conversations${query}`, { as: owner })).json()
    seen.push(...page.data.map((c: { id: string }) => c.id))
    cursor = page.nextCursor
    pages++
  } while (cursor !== null)
  expect(seen).toEqual([ids[0], ids[4], ids[3], ids[2], ids[1]])
  expect(pages).toBe(3)

  for (const bad of ['garbage', Buffer.from('{"k":"messages","before":"x"}').toString('base64url')]) {
    const res = await chat.call('GET', `/v1/conversations?cursor=${bad}`, { as: owner })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: { code: 'CHAT_ERR_BAD_CURSOR', param: 'cursor' } })
  }
})

test("tenancy: another user of the org, and a user of another org, get 404 on every route of alice's conversation", async () => {
  const { body: conversation } = await create({ model: MODEL, title: 'private' })
  const sent = await chat.call('POST', `/v1/conversations/${conversation.id}/messages`, {
    body: { content: 'secret' },
  })
  const events = await readAll(sseReader(sent))
  const messageId = messageIdOf(events[0])
  const base = `/v1/conversations/${conversation.id}`
  const routes: [string, string, unknown?][] = [
    ['GET', base],
    ['PATCH', base, { title: 'mine now' }],
    ['DELETE', base],
    ['GET', `${base}/messages`],
    ['POST', `${base}/messages`, { content: 'let me in' }],
    ['GET', `${base}/messages/${messageId}`],
    ['GET', `${base}/messages/${messageId}/stream`],
    ['POST', `${base}/messages/${messageId}/regenerate`],
    ['POST', `${base}/messages/${messageId}/stop`],
  ]
  const requestsBefore = chat.upstream.requests.length
  for (const intruder of [bob, eve]) {
    for (const [method, path, body] of routes) {
      const res = await chat.call(method, path, { as: intruder, ...(body !== undefined && { body }) })
      expect({ who: intruder.userId, org: intruder.orgId, method, path, status: res.status }).toEqual({
        who: intruder.userId,
        org: intruder.orgId,
        method,
        path,
        status: 404,
      })
      expect((await res.json()).error.code).toBe('CHAT_ERR_CONVERSATION_NOT_FOUND')
    }
    const list = await (await chat.call('GET', '/v1/conversations', { as: intruder })).json()
    expect(list.data.map((c: { id: string }) => c.id)).not.toContain(conversation.id)
  }
  // Nothing they did reached the model or changed alice's conversation.
  expect(chat.upstream.requests.length).toBe(requestsBefore)
  const still = await (await chat.call('GET', base)).json()
  expect(still).toMatchObject({ title: 'private', activeLeafId: messageId })
  const messages = await (await chat.call('GET', `${base}/messages`)).json()
  expect(messages.data).toHaveLength(2)
})

test('an unknown model is a 400 and creates nothing; an alias only the router knows is accepted', async () => {
  const owner = { ...alice, userId: 'user_models' }
  const unknown = await create({ model: 'no-such-model' }, owner)
  expect(unknown.status).toBe(400)
  expect(unknown.body.error).toMatchObject({ code: 'CHAT_ERR_UNKNOWN_MODEL', param: 'model' })
  const missing = await create({}, owner)
  expect(missing.status).toBe(400)
  expect(missing.body.error.code).toBe('CHAT_ERR_MODEL_REQUIRED')
  expect((await (await chat.call('GET', '/v1/conversations', { as: owner })).json()).data).toEqual([])

  const routerOnly = await create({ model: 'router-only' }, owner)
  expect(routerOnly.status).toBe(201)
  const switched = await chat.call('PATCH', `/v1/conversations/${routerOnly.body.id}`, {
    body: { model: 'no-such-model' },
    as: owner,
  })
  expect(switched.status).toBe(400)
  expect((await switched.json()).error.code).toBe('CHAT_ERR_UNKNOWN_MODEL')
  expect(
    (await (await chat.call('GET', `/v1/conversations/${routerOnly.body.id}`, { as: owner })).json()).model,
  ).toBe('router-only')
})

test('prompt references: a malformed one is a 400; without the admin service they are a clear 503', async () => {
  const owner = { ...alice, userId: 'user_prompts' }
  const create = async (body: Record<string, unknown>) => {
    const res = await chat.call('POST', '/v1/conversations', { body, as: owner })
    return { status: res.status, body: await res.json() }
  }
  const malformed = await create({ model: MODEL, prompt: 'no label here' })
  expect(malformed.status).toBe(400)
  expect(malformed.body.error).toMatchObject({ code: 'CHAT_ERR_BAD_PROMPT_REF', param: 'prompt' })

  const both = await create({ model: MODEL, prompt: 'greeter@production', systemPrompt: 'Hi' })
  expect(both.status).toBe(400)
  expect(both.body.error.code).toBe('CHAT_ERR_PROMPT_CONFLICT')

  // This runtime has no admin: a reference cannot be resolved, and the caller is told why.
  const unresolvable = await create({ model: MODEL, prompt: 'greeter@production' })
  expect(unresolvable.status).toBe(503)
  expect(unresolvable.body.error.code).toBe('CHAT_ERR_PROMPT_UNAVAILABLE')
  expect((await (await chat.call('GET', '/v1/conversations', { as: owner })).json()).data).toEqual([])
})

test('switching the active branch needs a message of this conversation', async () => {
  const { body: one } = await create({ model: MODEL })
  const { body: other } = await create({ model: MODEL })
  const sent = await chat.call('POST', `/v1/conversations/${other.id}/messages`, {
    body: { content: 'elsewhere' },
  })
  const [start] = await readAll(sseReader(sent))
  const foreign = messageIdOf(start)
  const res = await chat.call('PATCH', `/v1/conversations/${one.id}`, { body: { activeLeafId: foreign } })
  expect(res.status).toBe(400)
  expect((await res.json()).error).toMatchObject({ code: 'CHAT_ERR_BAD_PARENT', param: 'activeLeafId' })
})
