import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chatService } from '@switchyard/chat'
import { createInternalTokenSigner, generateInternalKeyPair } from '@switchyard/kit'
import { type Switchyard, start } from '@switchyard/runtime'
import { alice, countTokens, type FakeUpstream, getInfra, startFakeOpenAI } from '@switchyard/testing'
import { Client } from 'cassandra-driver'
import { afterAll, beforeAll, expect, test } from 'vitest'
import {
  MODEL,
  messageIdOf,
  numberedWords,
  readAll,
  type SseEvent,
  seqOf,
  sseReader,
  streamedText,
  type TestResponse,
  untilDeltas,
} from './chat-under-test.ts'
import { singleTargetEnv, startRouterTarget } from './router-target.ts'

// Chat as it runs in production: its own process shape (Cassandra, Redis, Kafka), two replicas, and
// the llm-router as a target of its own reached over HTTP, in front of a fake upstream.
const infra = getInfra()
const keyspace = `chat_it_${randomUUID().replaceAll('-', '').slice(0, 12)}`
const keys = generateInternalKeyPair()
const signer = createInternalTokenSigner({ privateKey: keys.privateKey })
let root: string
let upstream: FakeUpstream
let router: Switchyard
const replicas: { switchyard: Switchyard; url: string }[] = []

/** The server a target listens on: its own when the runtime gives each service one. */
function listenerUrl(switchyard: Switchyard): string {
  const app = switchyard.apps.chat ?? switchyard.apps['llm-router'] ?? switchyard.app
  const address = app.server.address()
  return typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : switchyard.url
}

const common = () => singleTargetEnv(keys.publicKey)

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'chat-it-'))
  upstream = await startFakeOpenAI({ models: [MODEL] })
  router = await startRouterTarget(root, upstream, common())
  for (const name of ['a', 'b']) {
    const switchyard = await start({
      target: 'chat',
      services: { chat: chatService },
      homeDir: root,
      env: {
        ...common(),
        SWITCHYARD_DATA_DIR: join(root, `chat-${name}`),
        // Every peer chat calls is the router here (admin is not running: prompt references fail clearly).
        SWITCHYARD_SERVICE_URL_TEMPLATE: listenerUrl(router),
        CASSANDRA_CONTACT_POINTS: infra.cassandraContactPoints.join(','),
        CASSANDRA_LOCAL_DC: infra.cassandraLocalDataCenter,
        CHAT_CASSANDRA_KEYSPACE: keyspace,
        CHAT_CASSANDRA_REPLICATION_FACTOR: '1',
        CHAT_MODELS: JSON.stringify({ [MODEL]: { contextWindow: 4096 } }),
        CHAT_SAVE_INTERVAL_MS: '50ms',
      },
    })
    replicas.push({ switchyard, url: listenerUrl(switchyard) })
  }
}, 240_000)

afterAll(async () => {
  for (const { switchyard } of replicas) await switchyard.close()
  await router?.close()
  await upstream?.close()
  const client = new Client({
    contactPoints: infra.cassandraContactPoints,
    localDataCenter: infra.cassandraLocalDataCenter,
  })
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`)
  await client.shutdown()
  await rm(root, { recursive: true, force: true })
})

async function call(
  replica: number,
  method: string,
  path: string,
  body?: unknown,
  extra: RequestInit = {},
): Promise<TestResponse> {
  return fetch(`${replicas[replica]?.url}${path}`, {
    method,
    ...extra,
    headers: {
      authorization: `Bearer ${await signer.sign(alice)}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(extra.headers as Record<string, string>),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
}

test('ready on Cassandra, Redis and Kafka', async () => {
  const res = await fetch(`${replicas[0]?.switchyard.url}/readyz`)
  expect(res.status).toBe(200)
})

test('a client that drops from one replica resumes on another with Last-Event-ID and gets exactly the rest; Cassandra holds the streamed text', async () => {
  upstream.reset()
  const reply = numberedWords(60)
  upstream.setBehavior({ reply, tokensPerSecond: 60 })
  const conversation = await (await call(0, 'POST', '/v1/conversations', { model: MODEL })).json()
  const leaving = new AbortController()
  const res = await call(
    0,
    'POST',
    `/v1/conversations/${conversation.id}/messages`,
    { content: 'count' },
    {
      signal: leaving.signal,
    },
  )
  const before = await untilDeltas(sseReader(res), 5)
  leaving.abort()
  const last = before.at(-1) as SseEvent
  const messageId = messageIdOf(last)

  const resumed = await call(
    1,
    'GET',
    `/v1/conversations/${conversation.id}/messages/${messageId}/stream`,
    undefined,
    {
      headers: { 'last-event-id': last.id as string },
    },
  )
  const after = await readAll(sseReader(resumed))
  const all = [...before, ...after]
  expect(all.map(seqOf)).toEqual(all.map((_, i) => i + 1))
  expect(all.at(-1)?.event).toBe('done')
  expect(streamedText(all)).toBe(reply)

  const stored = await (
    await call(1, 'GET', `/v1/conversations/${conversation.id}/messages/${messageId}`)
  ).json()
  expect(stored).toMatchObject({ status: 'complete', content: reply, outputTokens: countTokens(reply) })
})

test('stop on another replica ends the generation and the upstream request; the partial answer is stored', async () => {
  upstream.reset()
  const reply = numberedWords(300)
  upstream.setBehavior({ reply, tokensPerSecond: 40 })
  const conversation = await (await call(0, 'POST', '/v1/conversations', { model: MODEL })).json()
  const res = await call(0, 'POST', `/v1/conversations/${conversation.id}/messages`, { content: 'go' })
  const reader = sseReader(res)
  const before = await untilDeltas(reader, 4)
  const messageId = messageIdOf(before[0])

  const stop = await call(1, 'POST', `/v1/conversations/${conversation.id}/messages/${messageId}/stop`)
  expect(stop.status).toBe(200)
  const { message } = await stop.json()
  const after = await readAll(reader)
  const streamed = streamedText([...before, ...after])
  expect(message).toMatchObject({ status: 'stopped', content: streamed })
  expect(countTokens(streamed)).toBeGreaterThanOrEqual(4)
  expect(countTokens(streamed)).toBeLessThan(300)
  expect(JSON.parse(after.at(-1)?.data as string)).toMatchObject({ status: 'stopped' })

  // The router saw chat's request end and cut the upstream one off.
  await upstream.idle()
  expect(upstream.requests).toHaveLength(1)
  expect(upstream.requests[0]).toMatchObject({ path: '/v1/chat/completions', aborted: true })
  const stored = await (
    await call(0, 'GET', `/v1/conversations/${conversation.id}/messages/${messageId}`)
  ).json()
  expect(stored).toMatchObject({ status: 'stopped', content: streamed })
})
