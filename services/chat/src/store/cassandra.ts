import { type ArrayOrObject, type Client, type QueryOptions, types } from 'cassandra-driver'
import { storeErrorOf } from './cassandra-errors.ts'
import type {
  ChatStore,
  Conversation,
  Message,
  MessagePatch,
  MessageRole,
  MessageStatus,
  Owner,
} from './chat-store.ts'
import { bucketOf, isTimeId, isUuid, timeOf } from './ids.ts'

/**
 * The ChatStore on Cassandra / ScyllaDB.
 *
 * - `messages`: partitioned by (conversation_id, bucket), where the bucket is the message's time
 *   (from its timeuuid) divided into `bucket_ms` spans, clustered by id newest first. A long
 *   conversation spreads over bounded partitions; a page reads the newest bucket first.
 * - `message_buckets`: the buckets a conversation has, newest first, so paging skips empty spans.
 * - `conversations`: by id; `conversations_by_user`: the owner's list by last activity, newest first.
 *   A new activity moves the list row (delete the old position, insert the new one, in one logged
 *   batch). Two racing moves may leave a stale row behind: reads drop rows whose time no longer
 *   matches the conversation and delete them.
 *
 * Every statement is prepared and runs at LOCAL_QUORUM. Nothing writes a null: absent values are
 * `unset`, and clearing a column is an explicit `DELETE column`.
 */
export interface CassandraChatStoreOptions {
  client: Client
  keyspace: string
}

export interface CassandraSchemaOptions {
  keyspace: string
  /** Replication factor in the local data center when the keyspace is created. */
  replicationFactor: number
  /** Creates the keyspace when missing (else it must exist). Default true. */
  createKeyspace?: boolean
  /** Data center the replicas go to. Default: the client's local data center. */
  localDataCenter?: string
}

const LOCAL_QUORUM = types.consistencies.localQuorum
const { unset } = types

/** The tables, created when missing; schema changes wait for the cluster to agree (the driver does). */
export async function ensureCassandraSchema(client: Client, options: CassandraSchemaOptions): Promise<void> {
  const ks = options.keyspace
  if (!/^[a-z][a-z0-9_]{0,47}$/.test(ks)) throw new RangeError(`invalid keyspace name ${ks}`)
  const existing = await client.execute(
    'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?',
    [ks],
    { prepare: true },
  )
  const tables = new Set(existing.rows.map((row) => String(row.get('table_name'))))
  const wanted = ['conversations', 'conversations_by_user', 'messages', 'message_buckets']
  if (!wanted.every((table) => tables.has(table))) await createTables(client, options)
  await addColumns(client, ks)
}

/** Columns added after the tables' first version: a keyspace created before gets them at start. */
const addedColumns = [
  { table: 'conversations', column: 'agent' },
  { table: 'messages', column: 'run_id' },
] as const

async function addColumns(client: Client, ks: string): Promise<void> {
  for (const { table, column } of addedColumns) {
    const found = await client.execute(
      'SELECT column_name FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ? AND column_name = ?',
      [ks, table, column],
      { prepare: true },
    )
    if (found.rowLength === 0) await client.execute(`ALTER TABLE ${ks}.${table} ADD ${column} text`)
  }
}

async function createTables(client: Client, options: CassandraSchemaOptions): Promise<void> {
  const ks = options.keyspace
  if (options.createKeyspace !== false) {
    // The driver keeps its options on the client; its typings do not declare them.
    const dc =
      options.localDataCenter ??
      (client as unknown as { options?: { localDataCenter?: string } }).options?.localDataCenter ??
      'datacenter1'
    await client.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = {'class': 'NetworkTopologyStrategy', '${dc}': ${options.replicationFactor}}`,
    )
  }
  const ddl = [
    `CREATE TABLE IF NOT EXISTS ${ks}.conversations (
       id uuid PRIMARY KEY, org_id text, user_id text, title text, model text, agent text, system_prompt text,
       prompt_ref text, active_leaf_id timeuuid, bucket_ms bigint, created_at timestamp,
       last_activity_at timestamp)`,
    `CREATE TABLE IF NOT EXISTS ${ks}.conversations_by_user (
       org_id text, user_id text, last_activity_at timestamp, id uuid,
       PRIMARY KEY ((org_id, user_id), last_activity_at, id)
     ) WITH CLUSTERING ORDER BY (last_activity_at DESC, id DESC)`,
    `CREATE TABLE IF NOT EXISTS ${ks}.messages (
       conversation_id uuid, bucket bigint, id timeuuid, parent_id timeuuid, role text, content text,
       status text, model text, input_tokens int, output_tokens int, finish_reason text, error_code text,
       run_id text,
       PRIMARY KEY ((conversation_id, bucket), id)
     ) WITH CLUSTERING ORDER BY (id DESC)`,
    `CREATE TABLE IF NOT EXISTS ${ks}.message_buckets (
       conversation_id uuid, bucket bigint, PRIMARY KEY (conversation_id, bucket)
     ) WITH CLUSTERING ORDER BY (bucket DESC)`,
  ]
  for (const statement of ddl) await client.execute(statement)
}

const orUnset = <T>(value: T | null | undefined): T | typeof unset =>
  value === null || value === undefined ? unset : value
const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value))
const long = (value: number) => types.Long.fromNumber(value)

/** Keeps at most `max` entries, dropping the oldest inserted. */
class BoundedMap<K, V> extends Map<K, V> {
  readonly #max: number
  constructor(max: number) {
    super()
    this.#max = max
  }
  override set(key: K, value: V): this {
    super.set(key, value)
    if (this.size > this.#max) {
      const oldest = this.keys().next()
      if (!oldest.done) this.delete(oldest.value)
    }
    return this
  }
}

export function createCassandraChatStore({
  client: driver,
  keyspace: ks,
}: CassandraChatStoreOptions): ChatStore {
  // Every statement through one place, so too few replicas is the caller's 503, not a 500.
  const client = {
    execute: (query: string, params?: ArrayOrObject, options?: QueryOptions) =>
      driver.execute(query, params, options).catch((error: unknown) => Promise.reject(storeErrorOf(error))),
    batch: (queries: { query: string; params?: ArrayOrObject }[], options?: QueryOptions) =>
      driver.batch(queries, options).catch((error: unknown) => Promise.reject(storeErrorOf(error))),
  }
  const q = {
    insertConversation: `INSERT INTO ${ks}.conversations (id, org_id, user_id, title, model, agent, system_prompt, prompt_ref, bucket_ms, created_at, last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    insertByUser: `INSERT INTO ${ks}.conversations_by_user (org_id, user_id, last_activity_at, id) VALUES (?, ?, ?, ?)`,
    deleteByUser: `DELETE FROM ${ks}.conversations_by_user WHERE org_id = ? AND user_id = ? AND last_activity_at = ? AND id = ?`,
    selectConversation: `SELECT * FROM ${ks}.conversations WHERE id = ?`,
    selectBucketMs: `SELECT bucket_ms FROM ${ks}.conversations WHERE id = ?`,
    listByUser: `SELECT last_activity_at, id FROM ${ks}.conversations_by_user WHERE org_id = ? AND user_id = ? LIMIT ?`,
    listByUserAfter: `SELECT last_activity_at, id FROM ${ks}.conversations_by_user WHERE org_id = ? AND user_id = ? AND (last_activity_at, id) < (?, ?) LIMIT ?`,
    updateConversation: `UPDATE ${ks}.conversations SET title = ?, model = ?, system_prompt = ?, prompt_ref = ?, active_leaf_id = ?, last_activity_at = ? WHERE id = ?`,
    clearSystemPrompt: `DELETE system_prompt FROM ${ks}.conversations WHERE id = ?`,
    clearPromptRef: `DELETE prompt_ref FROM ${ks}.conversations WHERE id = ?`,
    deleteConversation: `DELETE FROM ${ks}.conversations WHERE id = ?`,
    insertBucket: `INSERT INTO ${ks}.message_buckets (conversation_id, bucket) VALUES (?, ?)`,
    selectBuckets: `SELECT bucket FROM ${ks}.message_buckets WHERE conversation_id = ?`,
    selectBucketsUpTo: `SELECT bucket FROM ${ks}.message_buckets WHERE conversation_id = ? AND bucket <= ?`,
    deleteBuckets: `DELETE FROM ${ks}.message_buckets WHERE conversation_id = ?`,
    deletePartition: `DELETE FROM ${ks}.messages WHERE conversation_id = ? AND bucket = ?`,
    insertMessage: `INSERT INTO ${ks}.messages (conversation_id, bucket, id, parent_id, role, content, status, model, input_tokens, output_tokens, finish_reason, error_code, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    updateMessage: `UPDATE ${ks}.messages SET content = ?, status = ?, input_tokens = ?, output_tokens = ?, finish_reason = ?, error_code = ? WHERE conversation_id = ? AND bucket = ? AND id = ?`,
    selectMessage: `SELECT * FROM ${ks}.messages WHERE conversation_id = ? AND bucket = ? AND id = ?`,
    pageOfBucket: `SELECT * FROM ${ks}.messages WHERE conversation_id = ? AND bucket = ? LIMIT ?`,
    pageOfBucketBefore: `SELECT * FROM ${ks}.messages WHERE conversation_id = ? AND bucket = ? AND id < ? LIMIT ?`,
  }
  const options = { prepare: true, consistency: LOCAL_QUORUM }
  const run = (query: string, params: unknown[]) => client.execute(query, params, options)

  // A conversation's bucket span never changes: remembered, so message calls need no extra read.
  const bucketSpans = new BoundedMap<string, number>(50_000)
  // Buckets known to be in message_buckets: their row is written once per process, not per message.
  const knownBuckets = new BoundedMap<string, true>(50_000)

  const toConversation = (row: types.Row): Conversation => {
    const conversation: Conversation = {
      id: String(row.get('id')),
      orgId: String(row.get('org_id')),
      userId: String(row.get('user_id')),
      title: str(row.get('title')) ?? '',
      model: str(row.get('model')),
      agent: str(row.get('agent')),
      systemPrompt: str(row.get('system_prompt')),
      promptRef: str(row.get('prompt_ref')),
      activeLeafId: str(row.get('active_leaf_id')),
      bucketMs: Number(row.get('bucket_ms')),
      createdAt: row.get('created_at') as Date,
      lastActivityAt: row.get('last_activity_at') as Date,
    }
    bucketSpans.set(conversation.id, conversation.bucketMs)
    return conversation
  }
  const toMessage = (row: types.Row): Message => {
    const id = String(row.get('id'))
    const int = (column: string) => {
      const value = row.get(column)
      return value === null || value === undefined ? null : Number(value)
    }
    return {
      id,
      conversationId: String(row.get('conversation_id')),
      parentId: str(row.get('parent_id')),
      role: String(row.get('role')) as MessageRole,
      content: str(row.get('content')) ?? '',
      status: String(row.get('status')) as MessageStatus,
      model: str(row.get('model')),
      inputTokens: int('input_tokens'),
      outputTokens: int('output_tokens'),
      finishReason: str(row.get('finish_reason')),
      errorCode: str(row.get('error_code')),
      runId: str(row.get('run_id')),
      createdAt: new Date(timeOf(id)),
    }
  }

  const readConversation = async (id: string): Promise<Conversation | null> => {
    if (!isUuid(id)) return null
    const row = (await run(q.selectConversation, [id])).first()
    // A row with no owner is what is left of a conversation deleted while a write raced it.
    return row && row.get('org_id') !== null ? toConversation(row) : null
  }
  const readOwned = async (owner: Owner, id: string) => {
    const conversation = await readConversation(id)
    return conversation && conversation.orgId === owner.orgId && conversation.userId === owner.userId
      ? conversation
      : null
  }
  /** The conversation's bucket span; null when it does not exist (deleted). */
  const spanOf = async (conversationId: string): Promise<number | null> => {
    const known = bucketSpans.get(conversationId)
    if (known !== undefined) return known
    if (!isUuid(conversationId)) return null
    const row = (await run(q.selectBucketMs, [conversationId])).first()
    const span = row ? Number(row.get('bucket_ms')) : Number.NaN
    if (!Number.isFinite(span) || span <= 0) return null
    bucketSpans.set(conversationId, span)
    return span
  }
  const requireSpan = async (conversationId: string): Promise<number> => {
    const span = await spanOf(conversationId)
    if (span === null) throw new Error(`conversation ${conversationId} does not exist`)
    return span
  }
  const bucketsOf = async (conversationId: string, upTo?: number): Promise<number[]> => {
    const result =
      upTo === undefined
        ? await run(q.selectBuckets, [conversationId])
        : await run(q.selectBucketsUpTo, [conversationId, long(upTo)])
    return result.rows.map((row) => Number(row.get('bucket')))
  }

  const store: ChatStore = {
    async createConversation(c) {
      await client.batch(
        [
          {
            query: q.insertConversation,
            params: [
              c.id,
              c.orgId,
              c.userId,
              c.title,
              orUnset(c.model),
              orUnset(c.agent),
              orUnset(c.systemPrompt),
              orUnset(c.promptRef),
              long(c.bucketMs),
              c.createdAt,
              c.lastActivityAt,
            ],
          },
          { query: q.insertByUser, params: [c.orgId, c.userId, c.lastActivityAt, c.id] },
        ],
        options,
      )
      bucketSpans.set(c.id, c.bucketMs)
      return { ...c, activeLeafId: null }
    },

    getConversation: readOwned,

    async listConversations(owner, { limit, after }) {
      const items: Conversation[] = []
      let position = after
      // Stale list rows (see above) are skipped, so a page may need more than one read.
      for (;;) {
        const want = limit + 1 - items.length
        const rows = position
          ? (
              await run(q.listByUserAfter, [
                owner.orgId,
                owner.userId,
                position.lastActivityAt,
                position.id,
                want,
              ])
            ).rows
          : (await run(q.listByUser, [owner.orgId, owner.userId, want])).rows
        const listed = rows.map((row) => ({
          lastActivityAt: row.get('last_activity_at') as Date,
          id: String(row.get('id')),
        }))
        const found = await Promise.all(listed.map((entry) => readConversation(entry.id)))
        for (const [i, entry] of listed.entries()) {
          const conversation = found[i]
          if (conversation?.lastActivityAt.getTime() === entry.lastActivityAt.getTime()) {
            items.push(conversation)
          } else {
            await run(q.deleteByUser, [owner.orgId, owner.userId, entry.lastActivityAt, entry.id])
          }
        }
        const last = listed.at(-1)
        if (items.length > limit || listed.length < want || last === undefined) break
        position = last
      }
      return { items: items.slice(0, limit), more: items.length > limit }
    },

    async updateConversation(owner, id, patch) {
      const current = await readOwned(owner, id)
      if (!current) return null
      const next: Conversation = {
        ...current,
        ...Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)),
      }
      const queries: { query: string; params: unknown[] }[] = [
        {
          query: q.updateConversation,
          params: [
            orUnset(patch.title),
            orUnset(patch.model),
            orUnset(patch.systemPrompt),
            orUnset(patch.promptRef),
            orUnset(patch.activeLeafId),
            orUnset(patch.lastActivityAt),
            id,
          ],
        },
      ]
      if (patch.systemPrompt === null) queries.push({ query: q.clearSystemPrompt, params: [id] })
      if (patch.promptRef === null) queries.push({ query: q.clearPromptRef, params: [id] })
      if (patch.lastActivityAt && patch.lastActivityAt.getTime() !== current.lastActivityAt.getTime()) {
        queries.push(
          { query: q.deleteByUser, params: [owner.orgId, owner.userId, current.lastActivityAt, id] },
          { query: q.insertByUser, params: [owner.orgId, owner.userId, patch.lastActivityAt, id] },
        )
      }
      await client.batch(queries, options)
      return next
    },

    async deleteConversation(owner, id) {
      const current = await readOwned(owner, id)
      if (!current) return false
      const buckets = await bucketsOf(id)
      await Promise.all(buckets.map((bucket) => run(q.deletePartition, [id, long(bucket)])))
      await client.batch(
        [
          { query: q.deleteBuckets, params: [id] },
          { query: q.deleteByUser, params: [owner.orgId, owner.userId, current.lastActivityAt, id] },
          { query: q.deleteConversation, params: [id] },
        ],
        options,
      )
      for (const bucket of buckets) knownBuckets.delete(`${id}:${bucket}`)
      bucketSpans.delete(id)
      return true
    },

    async addMessage(m) {
      const bucket = bucketOf(m.id, await requireSpan(m.conversationId))
      const bucketKey = `${m.conversationId}:${bucket}`
      // The bucket row first: a bucket listed without messages is harmless, the reverse would hide them.
      if (!knownBuckets.has(bucketKey)) {
        await run(q.insertBucket, [m.conversationId, long(bucket)])
        knownBuckets.set(bucketKey, true)
      }
      await run(q.insertMessage, [
        m.conversationId,
        long(bucket),
        m.id,
        orUnset(m.parentId),
        m.role,
        m.content,
        m.status,
        orUnset(m.model),
        orUnset(m.inputTokens),
        orUnset(m.outputTokens),
        orUnset(m.finishReason),
        orUnset(m.errorCode),
        orUnset(m.runId),
      ])
      return { ...m, createdAt: new Date(timeOf(m.id)) }
    },

    async updateMessage(conversationId, id, patch: MessagePatch) {
      const bucket = bucketOf(id, await requireSpan(conversationId))
      await run(q.updateMessage, [
        orUnset(patch.content),
        orUnset(patch.status),
        orUnset(patch.inputTokens),
        orUnset(patch.outputTokens),
        orUnset(patch.finishReason),
        orUnset(patch.errorCode),
        conversationId,
        long(bucket),
        id,
      ])
    },

    async getMessage(conversationId, id) {
      const span = isTimeId(id) ? await spanOf(conversationId) : null
      if (span === null) return null
      const bucket = bucketOf(id, span)
      const row = (await run(q.selectMessage, [conversationId, long(bucket), id])).first()
      return row && row.get('role') !== null ? toMessage(row) : null
    },

    async listMessages(conversationId, { limit, before }) {
      const span = await spanOf(conversationId)
      if (span === null) return { items: [], more: false }
      const buckets = await bucketsOf(
        conversationId,
        before === undefined ? undefined : bucketOf(before, span),
      )
      const items: Message[] = []
      for (const bucket of buckets) {
        const want = limit + 1 - items.length
        const result =
          before !== undefined && bucket === bucketOf(before, span)
            ? await run(q.pageOfBucketBefore, [conversationId, long(bucket), before, want])
            : await run(q.pageOfBucket, [conversationId, long(bucket), want])
        // Rows without a role are left by a partial save that raced a delete: not messages.
        for (const row of result.rows) if (row.get('role') !== null) items.push(toMessage(row))
        if (items.length > limit) break
      }
      return { items: items.slice(0, limit), more: items.length > limit }
    },

    async ping() {
      try {
        await client.execute('SELECT release_version FROM system.local')
        return true
      } catch {
        return false
      }
    },
  }
  return store
}
