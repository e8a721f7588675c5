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

test('a keyspace created before the agent columns gets them at start, and keeps its rows', async () => {
  const old = `${keyspace}_v1`
  await client.execute(
    `CREATE KEYSPACE ${old} WITH replication = {'class': 'NetworkTopologyStrategy', '${cassandraLocalDataCenter}': 1}`,
  )
  try {
    // The first version's tables, without conversations.agent and messages.run_id.
    await client.execute(`CREATE TABLE ${old}.conversations (
       id uuid PRIMARY KEY, org_id text, user_id text, title text, model text, system_prompt text,
       prompt_ref text, active_leaf_id timeuuid, bucket_ms bigint, created_at timestamp,
       last_activity_at timestamp)`)
    await client.execute(`CREATE TABLE ${old}.conversations_by_user (
       org_id text, user_id text, last_activity_at timestamp, id uuid,
       PRIMARY KEY ((org_id, user_id), last_activity_at, id))`)
    await client.execute(`CREATE TABLE ${old}.messages (
       conversation_id uuid, bucket bigint, id timeuuid, parent_id timeuuid, role text, content text,
       status text, model text, input_tokens int, output_tokens int, finish_reason text, error_code text,
       PRIMARY KEY ((conversation_id, bucket), id))`)
    await client.execute(`CREATE TABLE ${old}.message_buckets (
       conversation_id uuid, bucket bigint, PRIMARY KEY (conversation_id, bucket))`)
    const id = randomUUID()
    await client.execute(
      `INSERT INTO ${old}.conversations (id, org_id, user_id, title, model, bucket_ms, created_at, last_activity_at) VALUES (?, 'org_acme', 'user_alice', 'before', 'fake-chat', 60000, toTimestamp(now()), toTimestamp(now()))`,
      [id],
      { prepare: true },
    )

    await ensureCassandraSchema(client, { keyspace: old, replicationFactor: 1 })
    const columns = async (table: string) =>
      (
        await client.execute(
          'SELECT column_name FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
          [old, table],
          { prepare: true },
        )
      ).rows.map((row) => String(row.get('column_name')))
    expect(await columns('conversations')).toContain('agent')
    expect(await columns('messages')).toContain('run_id')
    const store = createCassandraChatStore({ client, keyspace: old })
    expect(await store.getConversation({ orgId: 'org_acme', userId: 'user_alice' }, id)).toMatchObject({
      title: 'before',
      model: 'fake-chat',
      agent: null,
    })
  } finally {
    await client.execute(`DROP KEYSPACE IF EXISTS ${old}`)
  }
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
