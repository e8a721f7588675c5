import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInternalTokenSigner, generateInternalKeyPair } from '@switchyard/kit'
import { start } from '@switchyard/runtime'
import { alice, getInfra } from '@switchyard/testing'
import { Client } from 'cassandra-driver'
import { afterAll, beforeAll, expect, onTestFinished, test } from 'vitest'
import { chatService } from '../service.ts'

// Chat as a pod on deploy/local's one-node Cassandra (datacenter1), every backend real: a keyspace
// of replication factor 3 there cannot take a LOCAL_QUORUM write (2 replicas needed, 1 alive).
const infra = getInfra()
const keys = generateInternalKeyPair()
const signer = createInternalTokenSigner({ privateKey: keys.privateKey })
const client = new Client({
  contactPoints: infra.cassandraContactPoints,
  localDataCenter: infra.cassandraLocalDataCenter,
})
const keyspaces: string[] = []
let root: string

const throwaway = () => {
  const name = `chat_rf_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  keyspaces.push(name)
  return name
}
const withFactor = (keyspace: string, factor: number) =>
  `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', '${infra.cassandraLocalDataCenter}': ${factor}}`

const startChat = (keyspace: string, env: Record<string, string> = {}) =>
  start({
    target: 'chat',
    services: { chat: chatService },
    homeDir: root,
    env: {
      SWITCHYARD_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      SWITCHYARD_HOST: '127.0.0.1',
      SWITCHYARD_PORT: '0',
      SWITCHYARD_DATA_DIR: join(root, keyspace),
      SHUTDOWN_GRACE_MS: '1s',
      INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
      REDIS_URL: infra.redisUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      CASSANDRA_CONTACT_POINTS: infra.cassandraContactPoints.join(','),
      CASSANDRA_LOCAL_DC: infra.cassandraLocalDataCenter,
      CHAT_CASSANDRA_KEYSPACE: keyspace,
      CHAT_MODELS: JSON.stringify({ 'fake-chat': { contextWindow: 4096 } }),
      ...env,
    },
  })

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'chat-rf-'))
  await client.connect()
}, 60_000)

afterAll(async () => {
  for (const keyspace of keyspaces) await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`)
  await client.shutdown()
  await rm(root, { recursive: true, force: true })
})

test('an existing keyspace of replication factor 3 on one node: chat refuses to start, naming the setting', async () => {
  const keyspace = throwaway()
  await client.execute(withFactor(keyspace, 3))
  const refused = await startChat(keyspace).then(
    async (started) => {
      await started.close()
      return undefined
    },
    (error: unknown) => error as Error,
  )
  expect(refused?.message).toContain('CHAT_CASSANDRA_REPLICATION_FACTOR')
  expect(refused?.message).toContain(
    `replication factor in ${infra.cassandraLocalDataCenter} is 3, ${infra.cassandraLocalDataCenter} has 1 live node(s) and writes at LOCAL_QUORUM need 2`,
  )
  expect(refused?.message).toContain(`ALTER KEYSPACE ${keyspace}`)
})

test('a missing keyspace with the default factor 3: refused before anything is created', async () => {
  const keyspace = throwaway()
  const refused = await startChat(keyspace).then(
    async (started) => {
      await started.close()
      return undefined
    },
    (error: unknown) => error as Error,
  )
  expect(refused?.message).toContain(
    `chat would create Cassandra keyspace ${keyspace} with replication factor 3 (CHAT_CASSANDRA_REPLICATION_FACTOR)`,
  )
  const created = await client.execute(
    'SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?',
    [keyspace],
    { prepare: true },
  )
  expect(created.rowLength).toBe(0)
})

test('once writes cannot reach quorum, /readyz fails and a write is a 503 with a stable code', async () => {
  const keyspace = throwaway()
  const chat = await startChat(keyspace, { CHAT_CASSANDRA_REPLICATION_FACTOR: '1' })
  onTestFinished(() => chat.close())
  const headers = {
    authorization: `Bearer ${await signer.sign(alice)}`,
    'content-type': 'application/json',
  }
  const create = () =>
    fetch(`${chat.url}/v1/conversations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'fake-chat' }),
    })
  expect((await create()).status).toBe(201)

  // An operator raises the factor past what the cluster has (the first /readyz call runs the checks).
  await client.execute(
    `ALTER KEYSPACE ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', '${infra.cassandraLocalDataCenter}': 3}`,
  )
  const ready = await fetch(`${chat.url}/readyz`)
  expect(ready.status).toBe(503)
  expect(((await ready.json()) as { failing: string[] }).failing).toEqual(['chat:cassandra-quorum'])
  const refused = await create()
  expect(refused.status).toBe(503)
  expect(((await refused.json()) as { error: unknown }).error).toMatchObject({
    code: 'CHAT_ERR_STORE_UNAVAILABLE',
    type: 'server_error',
  })
})
