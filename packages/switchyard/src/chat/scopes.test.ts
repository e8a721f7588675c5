// Chat checks the scopes of its routes itself: an admin:read-only key must not read or write
// conversations, nor spend through chat's calls to the router.
import { scopes } from '@switchyard/contracts'
import { alice } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type ChatUnderTest, MODEL, startChat } from './chat-under-test.ts'

let chat: ChatUnderTest
beforeAll(async () => {
  chat = await startChat()
}, 60_000)
afterAll(async () => chat?.close())

async function missing(res: Response | Awaited<ReturnType<ChatUnderTest['call']>>) {
  return { status: res.status, error: (await res.json()).error }
}

test('an admin:read-only key gets 403 KIT_ERR_MISSING_SCOPE from chat, and nothing reaches the model', async () => {
  const adminReader = { ...alice, scopes: [scopes.adminRead] }
  const created = await chat.call('POST', '/v1/conversations', { body: { model: MODEL }, as: alice })
  expect(created.status).toBe(201)
  const id = (await created.json()).id as string
  const before = chat.upstream.requests.length

  const attempts = [
    ['POST', '/v1/conversations', { model: MODEL }],
    ['GET', '/v1/conversations', undefined],
    ['GET', `/v1/conversations/${id}`, undefined],
    ['POST', `/v1/conversations/${id}/messages`, { content: 'spend for me' }],
    ['DELETE', `/v1/conversations/${id}`, undefined],
  ] as const
  for (const [method, path, body] of attempts) {
    const { status, error } = await missing(await chat.call(method, path, { as: adminReader, body }))
    expect(status, `${method} ${path}`).toBe(403)
    expect(error).toMatchObject({ code: 'KIT_ERR_MISSING_SCOPE', type: 'permission_error' })
  }
  expect(chat.upstream.requests.length).toBe(before)
  // The conversation is still there for its owner.
  expect((await chat.call('GET', `/v1/conversations/${id}`, { as: alice })).status).toBe(200)
})

test('reading needs chat:read, writing chat:write, and a write that reaches the model llm:use too', async () => {
  const reader = { ...alice, scopes: [scopes.chatRead] }
  const writerWithoutModels = { ...alice, scopes: [scopes.chatRead, scopes.chatWrite] }
  expect((await chat.call('GET', '/v1/conversations', { as: reader })).status).toBe(200)
  const write = await missing(
    await chat.call('POST', '/v1/conversations', { as: reader, body: { model: MODEL } }),
  )
  expect(write).toMatchObject({ status: 403, error: { message: expect.stringContaining(scopes.chatWrite) } })
  const spend = await missing(
    await chat.call('POST', '/v1/conversations', { as: writerWithoutModels, body: { model: MODEL } }),
  )
  expect(spend).toMatchObject({ status: 403, error: { message: expect.stringContaining(scopes.llmUse) } })
  const full = { ...alice, scopes: ['chat:*', scopes.llmUse] }
  expect((await chat.call('POST', '/v1/conversations', { as: full, body: { model: MODEL } })).status).toBe(
    201,
  )
})
