import { randomUUID } from 'node:crypto'
import { migrate } from '@switchyard/runtime'
import { createMemoryState } from '@switchyard/state'
import { getInfra } from '@switchyard/testing'
import { Client } from 'cassandra-driver'
import pg from 'pg'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import { createCassandraChatStore, ensureCassandraSchema } from '../store/cassandra.ts'
import { type ChatStore, type Message, writtenMessage } from '../store/chat-store.ts'
import { createTimeIdGenerator, newConversationId } from '../store/ids.ts'
import { migrationsDir } from '../store/migrations-dir.ts'
import { createPostgresChatStore } from '../store/postgres.ts'
import { History } from './context.ts'

// The branch walk on both real stores: a conversation whose active branch sits beside a long
// abandoned one. The walk answers the active branch and reads no row of the other.
const infra = getInfra()
const suffix = randomUUID().replaceAll('-', '').slice(0, 12)
const keyspace = `chat_hist_${suffix}`
const schema = `chat_hist_${suffix}`
const cassandra = new Client({
  contactPoints: infra.cassandraContactPoints,
  localDataCenter: infra.cassandraLocalDataCenter,
})
const admin = new pg.Pool({ connectionString: infra.postgresUrl, max: 1 })
const pool = new pg.Pool({ connectionString: infra.postgresUrl, max: 4, options: `-c search_path=${schema}` })

beforeAll(async () => {
  await cassandra.connect()
  await ensureCassandraSchema(cassandra, { keyspace, replicationFactor: 1 })
  await admin.query(`CREATE SCHEMA ${schema}`)
  await migrate(pool, [{ name: 'chat', migrationsDir }])
}, 120_000)

afterAll(async () => {
  await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`)
  await cassandra.shutdown()
  await pool.end()
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  await admin.end()
})

/** The store, with every message id it answers recorded. */
function spied(store: ChatStore): { store: ChatStore; read: string[] } {
  const read: string[] = []
  return {
    read,
    store: {
      ...store,
      async getMessage(conversationId, id) {
        const message = await store.getMessage(conversationId, id)
        if (message) read.push(message.id)
        return message
      },
      async listMessages(conversationId, options) {
        const page = await store.listMessages(conversationId, options)
        read.push(...page.items.map((m) => m.id))
        return page
      },
    },
  }
}

describe.each([
  ['cassandra', () => createCassandraChatStore({ client: cassandra, keyspace })],
  ['postgres', () => createPostgresChatStore(pool)],
])('History on %s', (_name, makeStore) => {
  test('the walk answers the active branch and reads no row of a long abandoned one', async () => {
    const store = makeStore()
    const next = createTimeIdGenerator()
    const now = Date.now()
    const conversation = await store.createConversation({
      id: newConversationId(),
      orgId: 'org_acme',
      userId: 'user_alice',
      title: '',
      model: 'fake-chat',
      agent: null,
      systemPrompt: null,
      promptRef: null,
      bucketMs: 7 * 24 * 3_600_000,
      createdAt: new Date(now),
      lastActivityAt: new Date(now),
    })
    const add = (parentId: string | null, role: Message['role'], content: string) =>
      store.addMessage(
        writtenMessage({ id: next(), conversationId: conversation.id, parentId, role, content }),
      )
    const q1 = await add(null, 'user', 'q1')
    const a1 = await add(q1.id, 'assistant', 'a1')
    // 120 exchanges after a1, then abandoned: every row newer than a1 and older than the active q2.
    const abandoned: string[] = []
    let parent = a1.id
    for (let i = 0; i < 120; i++) {
      const message = await add(parent, i % 2 === 0 ? 'user' : 'assistant', `abandoned ${i}`)
      abandoned.push(message.id)
      parent = message.id
    }
    const q2 = await add(a1.id, 'user', 'q2')
    const a2 = await add(q2.id, 'assistant', 'a2')

    const { store: watched, read } = spied(store)
    const state = createMemoryState()
    onTestFinished(() => state.close())
    const history = new History({
      store: watched,
      state,
      logger: pino({ level: 'silent' }),
      ttlMs: 60_000,
      maxTurns: 64,
    })
    const branch = await history.branch(conversation.id, a2.id, 100_000)
    expect(branch).toMatchObject({ complete: true })
    expect(branch.turns.map((t) => t.content)).toEqual(['a2', 'q2', 'a1', 'q1'])
    const abandonedIds = new Set(abandoned)
    expect(read.filter((id) => abandonedIds.has(id))).toEqual([])
    expect(read).toEqual([a2.id, q2.id, a1.id, q1.id])
  })
})
