// A conversation that names an agent, end to end on single targets over the real backends: the
// gateway (API keys through admin on PostgreSQL, Redis), chat (Cassandra), agent (PostgreSQL),
// the llm-router in front of a fake upstream that scripts the tool calls, all on Kafka, each
// reaching the others through one path-routing address as through a mesh.
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { adminService, bootstrapAdmin } from '@switchyard/admin'
import { agentService } from '@switchyard/agent'
import { chatService } from '@switchyard/chat'
import type { ServiceName } from '@switchyard/contracts'
import { gatewayService } from '@switchyard/gateway'
import { generateInternalKeyPair } from '@switchyard/kit'
import { llmRouterService } from '@switchyard/llm-router'
import { migrate, type Switchyard, start } from '@switchyard/runtime'
import {
  createScratchDatabase,
  type FakeChatInput,
  type FakeUpstream,
  getInfra,
  ignoreSharedAdminConfig,
  type ScratchDatabase,
  startFakeOpenAI,
} from '@switchyard/testing'
import { Client } from 'cassandra-driver'
import { afterAll, beforeAll, expect, test } from 'vitest'
import {
  MODEL,
  readAll,
  type SseEvent,
  sseReader,
  streamedText,
  type TestResponse,
} from './chat-under-test.ts'
import { type PathMesh, startPathMesh } from './path-mesh.ts'

const infra = getInfra()
const keyspace = `chat_agent_${randomUUID().replaceAll('-', '').slice(0, 12)}`
let root: string
let upstream: FakeUpstream
let mesh: PathMesh
let adminDb: ScratchDatabase
let agentDb: ScratchDatabase
let cassandra: Client
let gatewayUrl: string
let acmeKey: string
let otherKey: string
/** Requests the org HTTP tool `wipe` received (the tool that needs approval). */
const wiped: unknown[] = []
let toolServer: Server
const targets: Switchyard[] = []

function listenerUrl(switchyard: Switchyard): string {
  const address = switchyard.app.server.address()
  return typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : switchyard.url
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'chat-agent-it-'))
  upstream = await startFakeOpenAI({ models: [MODEL] })
  mesh = await startPathMesh()
  toolServer = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      wiped.push(JSON.parse(body || 'null'))
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"wiped":true}')
    })
  })
  await new Promise<void>((resolve) => toolServer.listen(0, '127.0.0.1', resolve))
  adminDb = await createScratchDatabase('chat_agent_admin', { max: 2 })
  agentDb = await createScratchDatabase('chat_agent_agent', { max: 2 })
  await migrate(adminDb.pool, [adminService])
  await migrate(agentDb.pool, [agentService])

  const keys = generateInternalKeyPair()
  const workerKeys = generateInternalKeyPair()
  const common = {
    SWITCHYARD_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SWITCHYARD_HOST: '127.0.0.1',
    SWITCHYARD_PORT: '0',
    INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    REDIS_URL: infra.redisUrl,
    SHUTDOWN_GRACE_MS: '1s',
    SWITCHYARD_SERVICE_URL_TEMPLATE: mesh.url,
  }
  const launch = async (target: ServiceName, services: object, env: Record<string, string>) => {
    const switchyard = await start({
      target,
      services,
      homeDir: root,
      env: { ...common, SWITCHYARD_DATA_DIR: join(root, target), ...env },
    })
    targets.push(switchyard)
    mesh.set(target, listenerUrl(switchyard))
    return switchyard
  }
  await launch(
    'llm-router',
    { 'llm-router': llmRouterService },
    {
      ...ignoreSharedAdminConfig(),
      INTERNAL_TOKEN_WORKER_PUBLIC_KEY: workerKeys.publicKey,
      LLM_ROUTER_MODELS: JSON.stringify({
        models: {
          [MODEL]: {
            deployments: [{ id: 'fake-1', provider: 'openai', baseUrl: upstream.url, model: MODEL }],
          },
        },
      }),
    },
  )
  await launch('admin', { admin: adminService }, { DATABASE_URL: adminDb.url.toString() })
  await launch(
    'agent',
    { agent: agentService },
    {
      DATABASE_URL: agentDb.url.toString(),
      INTERNAL_TOKEN_WORKER_PRIVATE_KEY: workerKeys.privateKey,
      AGENT_DEFAULT_MODEL: MODEL,
      // The org HTTP tool of this test listens on loopback.
      AGENT_TOOLS_TRUSTED_NETWORKS: '127.0.0.1/32',
    },
  )
  await launch(
    'chat',
    { chat: chatService },
    {
      CASSANDRA_CONTACT_POINTS: infra.cassandraContactPoints.join(','),
      CASSANDRA_LOCAL_DC: infra.cassandraLocalDataCenter,
      CHAT_CASSANDRA_KEYSPACE: keyspace,
      CHAT_CASSANDRA_REPLICATION_FACTOR: '1',
    },
  )
  const gateway = await launch(
    'gateway',
    { gateway: gatewayService },
    { INTERNAL_TOKEN_PRIVATE_KEY: keys.privateKey },
  )
  gatewayUrl = listenerUrl(gateway)

  acmeKey = (
    await bootstrapAdmin(adminDb.pool, { orgName: 'Acme', ownerEmail: `owner-${randomUUID()}@acme.test` })
  ).key
  const other = await call(acmeKey, 'POST', '/admin/v1/orgs', {
    name: 'Other',
    ownerEmail: 'owner@other.test',
  })
  expect(other.status).toBe(201)
  otherKey = (await other.json()).secret
  cassandra = new Client({
    contactPoints: infra.cassandraContactPoints,
    localDataCenter: infra.cassandraLocalDataCenter,
  })
}, 240_000)

afterAll(async () => {
  for (const switchyard of targets.reverse()) await switchyard.close()
  await mesh?.close()
  await upstream?.close()
  toolServer?.close()
  await cassandra?.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`)
  await cassandra?.shutdown()
  await adminDb?.drop()
  await agentDb?.drop()
  if (root) await rm(root, { recursive: true, force: true })
})

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field
type Json = any

/** A request through the gateway with an API key, as any client would make it. */
async function call(key: string, method: string, path: string, body?: unknown): Promise<TestResponse> {
  return fetch(`${gatewayUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
}

async function send(conversationId: string, content: string): Promise<SseEvent[]> {
  const res = await call(acmeKey, 'POST', `/v1/conversations/${conversationId}/messages`, { content })
  expect(res.status).toBe(200)
  return readAll(sseReader(res))
}

const data = (event: SseEvent | undefined): Json => JSON.parse(event?.data ?? 'null')
const named = (events: SseEvent[], name: string) => events.filter((e) => e.event === name).map(data)

/** The model calls `call` until the conversation holds a tool result, then answers `reply`. */
function toolThenReply(call: { name: string; arguments: Record<string, unknown> }, reply: string) {
  upstream.setBehavior({
    toolCalls: (input: FakeChatInput) => (input.messages.at(-1)?.role === 'tool' ? false : [call]),
    reply,
  })
}

async function storedAnswer(messageId: string) {
  const row = (
    await cassandra.execute(
      `SELECT content, status, run_id FROM ${keyspace}.messages WHERE id = ? ALLOW FILTERING`,
      [messageId],
      { prepare: true },
    )
  ).first()
  return { content: row?.get('content'), status: row?.get('status'), runId: row?.get('run_id') }
}

let calcId: string
let firstRunId: string

test("a conversation naming an agent runs its tool call through the gateway; Cassandra holds the run's output and id", async () => {
  const created = await call(acmeKey, 'POST', '/v1/agents', {
    name: 'calc',
    instructions: 'You do sums with the calculator.',
    model: MODEL,
    tools: ['calculator'],
  })
  expect(created.status).toBe(200)
  calcId = (await created.json()).id
  const conversation = await (await call(acmeKey, 'POST', '/v1/conversations', { agent: 'calc' })).json()
  expect(conversation).toMatchObject({ agent: calcId, model: null })

  toolThenReply({ name: 'calculator', arguments: { expression: '2 + 3' } }, 'The sum is 5.')
  const events = await send(conversation.id, 'add 2 and 3')
  const start = data(events[0])
  firstRunId = start.runId
  expect(named(events, 'tool.call')).toMatchObject([{ runId: firstRunId, name: 'calculator' }])
  const [result] = named(events, 'tool.result')
  expect(result).toMatchObject({ runId: firstRunId, ok: true })
  expect(JSON.stringify(result.content)).toContain('5')
  expect(streamedText(events)).toBe('The sum is 5.')
  expect(data(events.at(-1))).toMatchObject({ status: 'complete' })

  const run = await (await call(acmeKey, 'GET', `/v1/runs/${firstRunId}`)).json()
  expect(run).toMatchObject({ status: 'succeeded', agent_id: calcId, output: 'The sum is 5.' })
  expect(await storedAnswer(start.messageId)).toEqual({
    content: 'The sum is 5.',
    status: 'complete',
    runId: firstRunId,
  })

  // A follow-up continues the run's thread: the model sees the first exchange again.
  upstream.setBehavior({ reply: 'Ten.' })
  const followUp = await send(conversation.id, 'and twice that?')
  const second = await (await call(acmeKey, 'GET', `/v1/runs/${data(followUp[0]).runId}`)).json()
  expect(second).toMatchObject({ thread_id: firstRunId, agent_id: calcId, output: 'Ten.' })
  const prompt = upstream.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)?.body as Json
  expect(prompt.messages.map((m: Json) => m.content)).toEqual(
    expect.arrayContaining(['add 2 and 3', 'The sum is 5.', 'and twice that?']),
  )
}, 60_000)

test('a run paused for approval ends the message awaiting it; approved through the gateway, the tool runs once and the thread goes on', async () => {
  const tool = await call(acmeKey, 'POST', '/v1/agents/tools/http', {
    name: 'wipe',
    description: 'Wipes a folder',
    parameters: { type: 'object', properties: { folder: { type: 'string' } }, required: ['folder'] },
    url: `http://127.0.0.1:${(toolServer.address() as AddressInfo).port}/wipe`,
    needs_approval: true,
  })
  expect(tool.status, await tool.clone().text()).toBeLessThan(300)
  const janitor = await call(acmeKey, 'POST', '/v1/agents', {
    name: 'janitor',
    instructions: 'You clean up.',
    model: MODEL,
    tools: ['wipe'],
  })
  expect(janitor.status).toBe(200)
  const conversation = await (await call(acmeKey, 'POST', '/v1/conversations', { agent: 'janitor' })).json()

  toolThenReply({ name: 'wipe', arguments: { folder: '/tmp' } }, 'Wiped /tmp.')
  const events = await send(conversation.id, 'clean /tmp')
  const done = data(events.at(-1))
  expect(done).toMatchObject({ status: 'awaiting_approval', finishReason: 'approval_required' })
  const [approval] = done.approvals
  expect(approval).toMatchObject({ name: 'wipe' })
  expect(named(events, 'approval.required')).toMatchObject([{ runId: done.runId }])
  expect(await storedAnswer(done.messageId)).toMatchObject({ status: 'awaiting_approval', runId: done.runId })
  expect(wiped).toEqual([])

  const approved = await call(acmeKey, 'POST', `/v1/runs/${done.runId}/approvals/${approval.callId}`, {
    decision: 'approve',
  })
  expect(approved.status).toBe(200)
  await expect
    .poll(async () => (await (await call(acmeKey, 'GET', `/v1/runs/${done.runId}`)).json()).status, {
      timeout: 20_000,
    })
    .toBe('succeeded')
  expect(wiped).toEqual([{ folder: '/tmp' }])

  // The approved run is the thread of what follows.
  upstream.setBehavior({ reply: 'Nothing left.' })
  const followUp = await send(conversation.id, 'anything else?')
  const next = await (await call(acmeKey, 'GET', `/v1/runs/${data(followUp[0]).runId}`)).json()
  expect(next.thread_id).toBe(done.runId)
}, 60_000)

test("tenancy: another org cannot use acme's agent through chat, nor read its runs", async () => {
  for (const agent of ['calc', calcId]) {
    const res = await call(otherKey, 'POST', '/v1/conversations', { agent })
    expect(res.status).toBe(400)
    expect((await res.json()).error).toMatchObject({ code: 'CHAT_ERR_UNKNOWN_AGENT', param: 'agent' })
  }
  expect((await (await call(otherKey, 'GET', '/v1/conversations')).json()).data).toEqual([])
  expect((await call(otherKey, 'GET', `/v1/runs/${firstRunId}`)).status).toBe(404)
})
