// The admin.config.v1 relay on a real PostgreSQL and Kafka: a row Kafka refuses (over its 1 MB)
// is set aside, and every other org's events, and the refused org's later ones, still go out.
import { randomUUID } from 'node:crypto'
import { type AdminConfigV1, adminConfigV1 } from '@switchyard/contracts'
import { createKafkaBus, type EventBus } from '@switchyard/events'
import type { ScratchDatabase } from '@switchyard/testing'
import { getInfra } from '@switchyard/testing'
import type pg from 'pg'
import { pino } from 'pino'
import { afterAll, beforeAll, expect, onTestFinished, test, vi } from 'vitest'
import { openScratchDatabase } from '../db/scratch-database.ts'
import { transaction } from '../db/sql.ts'
import { createConfigRelay, enqueueConfigEvent } from './outbox.ts'

const silent = pino({ level: 'silent' })
let db: ScratchDatabase
let pool: pg.Pool
let bus: EventBus

beforeAll(async () => {
  db = await openScratchDatabase('relay')
  pool = db.pool
  bus = await createKafkaBus({
    brokers: getInfra().kafkaBrokers,
    clientId: `relay-test-${randomUUID()}`,
    logger: silent,
  })
}, 120_000)
afterAll(async () => {
  await bus?.close()
  await db?.drop()
})

test("one org's event Kafka refuses is set aside; the others' and that org's later ones go out", async () => {
  const stuck = `org_stuck_${randomUUID()}`
  const other = `org_other_${randomUUID()}`
  const received: AdminConfigV1[] = []
  const subscription = await bus.subscribe(adminConfigV1, `relay-test-${randomUUID()}`, async (event) => {
    if (event.data.orgId === stuck || event.data.orgId === other) received.push(event.data)
  })
  onTestFinished(() => subscription.close())

  // A row written before sizes were capped: a payload of 2 MB, twice what Kafka takes.
  await pool.query(
    `INSERT INTO config_outbox (kind, org_id, version, payload) VALUES ('budget', $1, 1, $2)`,
    [stuck, JSON.stringify({ budgets: { orgs: {}, users: { huge: 'x'.repeat(2_000_000) }, keys: {} } })],
  )
  await pool.query(`INSERT INTO config_versions (kind, scope, version) VALUES ('budget', $1, 1)`, [stuck])
  for (const n of [1, 2]) await transaction(pool, (tx) => enqueueConfigEvent(tx, 'budget', other, { n }))
  await transaction(pool, (tx) => enqueueConfigEvent(tx, 'key-revoked', stuck, { keyId: 'key_1' }))
  await transaction(pool, (tx) => enqueueConfigEvent(tx, 'budget', stuck, { budgets: {} }))

  const relay = createConfigRelay({ db: pool, bus, logger: silent, intervalMs: 3_600_000 })
  onTestFinished(() => relay.stop())
  await relay.flush()

  await vi.waitFor(() => expect(received).toHaveLength(4), { timeout: 60_000, interval: 100 })
  const got = received.map((e) => `${e.kind} ${e.orgId === stuck ? 'stuck' : 'other'} v${e.version}`).sort()
  expect(got).toEqual(['budget other v1', 'budget other v2', 'budget stuck v2', 'key-revoked stuck v1'])
  const { rows } = await pool.query<{
    version: string
    published: boolean
    set_aside: boolean
    error: string
  }>(
    `SELECT version::text, published_at IS NOT NULL AS published, set_aside_at IS NOT NULL AS set_aside,
            coalesce(last_error, '') AS error
       FROM config_outbox WHERE org_id = $1 AND kind = 'budget' ORDER BY version`,
    [stuck],
  )
  expect(rows.map((r) => [r.version, r.published, r.set_aside])).toEqual([
    ['1', false, true],
    ['2', true, false],
  ])
  expect(rows[0]?.error).toMatch(/bytes/)
})

test('a change whose announcement would be too large is refused, and writes nothing', async () => {
  const orgId = `org_big_${randomUUID()}`
  const error = await transaction(pool, (tx) =>
    enqueueConfigEvent(tx, 'budget', orgId, { budgets: { users: { huge: 'x'.repeat(1_000_000) } } }),
  ).catch((e: unknown) => e)
  expect(error).toMatchObject({ code: 'ADMIN_ERR_CONFLICT', statusCode: 409 })
  const { rows } = await pool.query('SELECT 1 FROM config_outbox WHERE org_id = $1', [orgId])
  expect(rows).toEqual([])
})
