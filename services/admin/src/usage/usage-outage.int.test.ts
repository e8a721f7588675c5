// The usage ledger through a PostgreSQL outage, on a real PostgreSQL and Kafka: the consumer's pool
// goes through a proxy the test takes away (refused connects, connections cut mid-query), well past
// the retry policy's attempts; every event still lands in the ledger exactly once, none goes to
// the dead-letter topic (where, before, it was lost to the ledger).
import { randomUUID } from 'node:crypto'
import { defineTopic, LlmUsageV1 as LlmUsageSchema, type LlmUsageV1 } from '@switchyard/contracts'
import { createKafkaBus, type EventBus, type EventEnvelope } from '@switchyard/events'
import type { ScratchDatabase } from '@switchyard/testing'
import { getInfra } from '@switchyard/testing'
import pg from 'pg'
import { pino } from 'pino'
import { afterAll, beforeAll, expect, onTestFinished, test, vi } from 'vitest'
import { usage } from '../admin-under-test.ts'
import { openScratchDatabase } from '../db/scratch-database.ts'
import { createUsageHandler } from './consumer.ts'
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts'

const silent = pino({ level: 'silent' })
const retry = { attempts: 3, backoffMs: 50, maxBackoffMs: 200 }
let db: ScratchDatabase
let direct: pg.Pool
let proxied: pg.Pool
let proxy: TcpProxy
let bus: EventBus

beforeAll(async () => {
  db = await openScratchDatabase('usage_outage')
  direct = db.pool
  proxy = await startTcpProxy({ host: db.url.hostname, port: Number(db.url.port || 5432) })
  const through = new URL(db.url)
  through.hostname = '127.0.0.1'
  through.port = String(proxy.port)
  proxied = new pg.Pool({ connectionString: through.toString(), max: 2, connectionTimeoutMillis: 1_000 })
  proxied.on('error', () => {})
  bus = await createKafkaBus({
    brokers: getInfra().kafkaBrokers,
    clientId: `usage-outage-${randomUUID()}`,
    logger: silent,
    retry,
    consumer: { sessionTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 },
  })
}, 120_000)
afterAll(async () => {
  await bus?.close()
  await proxy?.stop()
  await proxied?.end()
  await db?.drop()
})

test('a PostgreSQL outage longer than the retry policy loses no usage event and duplicates none', async () => {
  // A topic of this test's own (the llm.usage.v1 schema), so other suites' events do not mix in.
  const topic = defineTopic(`test.usage-outage.${randomUUID()}`, LlmUsageSchema)
  const orgId = `org_outage_${randomUUID()}`
  const handle = createUsageHandler(proxied, silent)
  let failures = 0
  const subscription = await bus.subscribe(topic, `admin.usage-ledger.${randomUUID()}`, async (event) => {
    try {
      await handle(event)
    } catch (error) {
      failures++
      throw error
    }
  })
  onTestFinished(() => subscription.close())
  const published: EventEnvelope<LlmUsageV1>[] = []
  const publish = async (n: number) => {
    for (let i = 0; i < n; i++) {
      published.push(
        await bus.publish(topic, orgId, usage({ orgId, userId: `user_${i % 3}`, costUsd: 0.0001 * (i + 1) })),
      )
    }
  }
  const ledger = async () =>
    (
      await direct.query<{ event_id: string; n: number }>(
        'SELECT event_id::text, count(*)::int AS n FROM usage_ledger WHERE org_id = $1 GROUP BY event_id',
        [orgId],
      )
    ).rows

  await publish(10)
  await vi.waitFor(async () => expect(await ledger()).toHaveLength(10), { timeout: 30_000, interval: 100 })

  await proxy.close()
  await publish(10)
  // Held down until the handler has failed more often than the policy allows one event: before
  // the fix the event went to the dead-letter topic then, and its offset was committed.
  const failuresBefore = failures
  await vi.waitFor(() => expect(failures).toBeGreaterThan(failuresBefore + retry.attempts * 2), {
    timeout: 30_000,
    interval: 50,
  })
  await proxy.open()

  await vi.waitFor(async () => expect(await ledger()).toHaveLength(published.length), {
    timeout: 60_000,
    interval: 100,
  })
  const rows = await ledger()
  expect(rows.map((r) => r.event_id).sort()).toEqual(published.map((e) => e.id).sort())
  expect(rows.filter((r) => r.n !== 1)).toEqual([])
  const spent = await direct.query<{ spent: string }>(
    `SELECT spent_usd::text AS spent FROM spend_totals WHERE org_id = $1 AND scope = 'org' AND period = 'month'`,
    [orgId],
  )
  const expected = published.reduce((sum, e) => sum + e.data.costUsd, 0)
  expect(Number(spent.rows[0]?.spent)).toBeCloseTo(expected, 9)
})
