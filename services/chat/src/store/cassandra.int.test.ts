import { randomUUID } from 'node:crypto'
import { getInfra } from '@switchyard/testing'
import { Client } from 'cassandra-driver'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createCassandraChatStore, ensureCassandraSchema } from './cassandra.ts'
import { chatStoreContract } from './chat-store.contract.ts'

// The Cassandra store on a real server: one keyspace for this file, created by the store's own
// schema code (as the chat service does at start), dropped at the end.
const { cassandraContactPoints, cassandraLocalDataCenter } = getInfra()
const keyspace = `chat_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`
const client = new Client({
  contactPoints: cassandraContactPoints,
  localDataCenter: cassandraLocalDataCenter,
})

beforeAll(async () => {
  await client.connect()
  await ensureCassandraSchema(client, { keyspace, replicationFactor: 1 })
})

afterAll(async () => {
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`)
  await client.shutdown()
})

chatStoreContract('cassandra', async () => ({ store: createCassandraChatStore({ client, keyspace }) }))

test('the schema step is idempotent: a second run on an existing keyspace changes nothing', async () => {
  await ensureCassandraSchema(client, { keyspace, replicationFactor: 1 })
  const tables = await client.execute(
    'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?',
    [keyspace],
    { prepare: true },
  )
  expect(tables.rows.map((row) => row.get('table_name')).sort()).toEqual([
    'conversations',
    'conversations_by_user',
    'message_buckets',
    'messages',
  ])
})

/** Tombstone cells the read of one conversation row met, from the server's trace of the query. */
async function tombstonesReading(id: string): Promise<number> {
  const result = await client.execute(`SELECT * FROM ${keyspace}.conversations WHERE id = ?`, [id], {
    prepare: true,
    traceQuery: true,
  })
  const trace = await client.metadata.getTrace(result.info.traceId)
  const counts = trace.events
    .map((event) => /Read \d+ live rows? and (\d+) tombstone cells?/.exec(event.activity)?.[1])
    .filter((count): count is string => count !== undefined)
  expect(counts.length).toBeGreaterThan(0)
  return counts.reduce((sum, count) => sum + Number(count), 0)
}

test('nothing is written as null: a new conversation without prompts leaves no tombstone', async () => {
  const store = createCassandraChatStore({ client, keyspace })
  const at = Date.now()
  const conversation = await store.createConversation({
    id: randomUUID(),
    orgId: 'org_acme',
    userId: 'user_alice',
    title: '',
    model: 'fake-chat',
    agent: null,
    systemPrompt: null,
    promptRef: null,
    bucketMs: 60_000,
    createdAt: new Date(at),
    lastActivityAt: new Date(at),
  })
  expect(await tombstonesReading(conversation.id)).toBe(0)
  // The control: the same row with a null written into it does show a tombstone.
  await client.execute(
    `UPDATE ${keyspace}.conversations SET prompt_ref = ? WHERE id = ?`,
    [null, conversation.id],
    {
      prepare: true,
    },
  )
  expect(await tombstonesReading(conversation.id)).toBe(1)
})
