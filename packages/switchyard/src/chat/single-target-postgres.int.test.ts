import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chatService } from '@switchyard/chat'
import { createInternalTokenSigner, generateInternalKeyPair } from '@switchyard/kit'
import { migrateTarget, type Switchyard, start } from '@switchyard/runtime'
import {
  alice,
  bob,
  createScratchDatabase,
  type FakeUpstream,
  type ScratchDatabase,
  startFakeOpenAI,
} from '@switchyard/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { MODEL, messageIdOf, readAll, sseReader, streamedText, type TestResponse } from './chat-under-test.ts'
import { singleTargetEnv, startRouterTarget } from './router-target.ts'

// Chat as a small install runs it: on its own, with CHAT_STORE=postgres on a real PostgreSQL (a
// database of its own, migrated by `switchyard migrate --target=chat`), no Cassandra configured.
const keys = generateInternalKeyPair()
const signer = createInternalTokenSigner({ privateKey: keys.privateKey })
let database: ScratchDatabase
let root: string
let upstream: FakeUpstream
let router: Switchyard
let chat: Switchyard

const common = () => singleTargetEnv(keys.publicKey)

const chatEnv = () => ({
  ...common(),
  SWITCHYARD_DATA_DIR: join(root, 'chat'),
  SWITCHYARD_SERVICE_URL_TEMPLATE: router.url,
  CHAT_STORE: 'postgres',
  DATABASE_URL: database.url.toString(),
  CHAT_MODELS: JSON.stringify({ [MODEL]: { contextWindow: 4096 } }),
})

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'chat-pg-it-'))
  database = await createScratchDatabase('chat_pg', { max: 1 })
  upstream = await startFakeOpenAI({ models: [MODEL] })
  router = await startRouterTarget(root, upstream, common())
  const migrated = await migrateTarget({
    target: 'chat',
    services: { chat: chatService },
    homeDir: root,
    env: chatEnv(),
  })
  expect(migrated.reports.map((r) => r.service)).toEqual(['chat'])
  chat = await start({ target: 'chat', services: { chat: chatService }, homeDir: root, env: chatEnv() })
}, 240_000)

afterAll(async () => {
  await chat?.close()
  await router?.close()
  await upstream?.close()
  await database?.drop()
  await rm(root, { recursive: true, force: true })
})

async function call(
  path: string,
  init: { method?: string; body?: unknown; as?: typeof alice } = {},
): Promise<TestResponse> {
  return fetch(`${chat.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      authorization: `Bearer ${await signer.sign(init.as ?? alice)}`,
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  })
}

test('CHAT_STORE=postgres: a single chat target uses PostgreSQL alone and is ready', async () => {
  expect(chat.plan.grants.chat).toEqual(['sql', 'state', 'bus'])
  expect(chat.plan.cassandra).toBeNull()
  const ready = await ((await fetch(`${chat.url}/readyz`)) as TestResponse).json()
  expect(ready).toMatchObject({ status: 'ready' })
  expect(Object.keys(ready.checks)).toContain('sql:postgres')
})

test('a conversation and its answer are written to and read back from PostgreSQL', async () => {
  upstream.setBehavior({ reply: 'hello from postgres' })
  const created = await call('/v1/conversations', { body: { model: MODEL, title: 'pg' } })
  expect(created.status).toBe(201)
  const conversation = await created.json()
  const events = await readAll(
    sseReader(await call(`/v1/conversations/${conversation.id}/messages`, { body: { content: 'hi' } })),
  )
  expect(events.at(-1)?.event).toBe('done')
  expect(streamedText(events)).toBe('hello from postgres')
  const answerId = messageIdOf(events[0])

  const listed = await (await call(`/v1/conversations/${conversation.id}/messages`)).json()
  expect(listed.data.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
    ['assistant', 'hello from postgres'],
    ['user', 'hi'],
  ])
  // The rows are in this database's tables, under alice's org.
  const stored = await database.pool.query(
    'SELECT m.id, m.status, c.org_id FROM chat_messages m JOIN chat_conversations c ON c.id = m.conversation_id WHERE m.id = $1',
    [answerId],
  )
  expect(stored.rows).toEqual([{ id: answerId, status: 'complete', org_id: alice.orgId }])
  // Another user does not see it.
  expect((await call(`/v1/conversations/${conversation.id}`, { as: bob })).status).toBe(404)
})
