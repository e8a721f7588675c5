// Chat history on Cassandra: seeds conversations and messages through the real ChatStore (in a
// keyspace of the bench's own), then times the newest-first page read and the message write.
import { randomUUID } from 'node:crypto'
import { type Summary, summarize } from '@switchyard/bench-router/stats'
import { createCassandraChatStore, ensureCassandraSchema, writtenMessage } from '@switchyard/chat'
import { Client, types } from 'cassandra-driver'

export interface HistoryOptions {
  contactPoints: string[]
  localDataCenter: string
  conversations: number
  messages: number
  /** Timed calls of each kind. */
  samples: number
  /** In-flight calls while seeding. */
  concurrency: number
  log: (line: string) => void
}

export interface HistoryResult {
  read: Summary
  write: Summary
  seedSeconds: number
}

const DAY_MS = 86_400_000
/** The seeded messages span this much time before now: a conversation spreads over a few 7-day buckets. */
const SPAN_MS = 30 * DAY_MS
const owner = { orgId: 'org_bench', userId: 'user_bench' }

/** Runs `task(i)` for i in 0..count-1, at most `limit` at once. */
async function pool(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    for (let i = next++; i < count; i = next++) await task(i)
  }
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker))
}

/** A time UUID (Cassandra timeuuid) for `at`, as the store's ids are. */
const timeId = (at: number, tick: number) => types.TimeUuid.fromDate(new Date(at), tick % 10_000).toString()

const text = (i: number) =>
  `message ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(1 + (i % 6))}`.trim()

export async function runHistory(o: HistoryOptions): Promise<HistoryResult> {
  const keyspace = `bench_chat_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  const client = new Client({ contactPoints: o.contactPoints, localDataCenter: o.localDataCenter })
  await client.connect()
  try {
    await ensureCassandraSchema(client, { keyspace, replicationFactor: 1 })
    o.log(`history: keyspace ${keyspace}`)
    const store = createCassandraChatStore({ client, keyspace })
    const now = Date.now()
    const ids: string[] = Array.from({ length: o.conversations }, () => randomUUID())

    const seedStart = performance.now()
    await pool(ids.length, o.concurrency, async (i) => {
      const at = new Date(now - SPAN_MS)
      await store.createConversation({
        id: ids[i] as string,
        ...owner,
        title: `conversation ${i}`,
        model: 'bench',
        agent: null,
        systemPrompt: null,
        promptRef: null,
        bucketMs: 7 * DAY_MS,
        createdAt: at,
        lastActivityAt: at,
      })
    })
    // Messages go round-robin over the conversations, each conversation's in time order (its
    // messages are spaced evenly over SPAN_MS), each one answering the one before.
    const perConversation = Math.ceil(o.messages / o.conversations)
    const step = SPAN_MS / perConversation
    const last: (string | null)[] = ids.map(() => null)
    let written = 0
    let reported = 0
    await pool(o.messages, o.concurrency, async (n) => {
      const c = n % o.conversations
      const k = Math.floor(n / o.conversations)
      const conversationId = ids[c] as string
      const id = timeId(now - SPAN_MS + k * step, n)
      const parentId = last[c] ?? null
      last[c] = id
      await store.addMessage({
        id,
        conversationId,
        parentId,
        role: k % 2 === 0 ? 'user' : 'assistant',
        content: text(n),
        status: 'complete',
        model: k % 2 === 0 ? null : 'bench',
        inputTokens: k % 2 === 0 ? null : 40 + k,
        outputTokens: k % 2 === 0 ? null : 30,
        finishReason: k % 2 === 0 ? null : 'stop',
        errorCode: null,
        runId: null,
      })
      written++
      if (written - reported >= o.messages / 10 || written === o.messages) {
        reported = written
        const s = (performance.now() - seedStart) / 1000
        o.log(
          `history: seeded ${written}/${o.messages} messages (${s.toFixed(1)} s, ${(written / s).toFixed(0)}/s)`,
        )
      }
    })
    const seedSeconds = (performance.now() - seedStart) / 1000

    // Reads and writes, one at a time (latency, not throughput), alternating, on random conversations.
    const read: number[] = []
    const write: number[] = []
    const warmUp = Math.min(200, o.samples)
    let tick = o.messages
    for (let i = 0; i < warmUp + o.samples; i++) {
      const conversationId = ids[Math.floor(Math.random() * ids.length)] as string
      let t = performance.now()
      const page = await store.listMessages(conversationId, { limit: 50 })
      const readMs = performance.now() - t
      if (page.items.length !== 50) throw new Error(`a page of ${page.items.length} messages, not 50`)
      t = performance.now()
      await store.addMessage(
        writtenMessage({
          id: timeId(Date.now(), tick++),
          conversationId,
          parentId: page.items[0]?.id ?? null,
          role: 'user',
          content: text(tick),
        }),
      )
      const writeMs = performance.now() - t
      if (i >= warmUp) {
        read.push(readMs)
        write.push(writeMs)
      }
    }
    return { read: summarize(read), write: summarize(write), seedSeconds }
  } finally {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => {})
    await client.shutdown()
    o.log(`history: dropped ${keyspace}`)
  }
}
