// admin as one service per process: `switchyard migrate --target=admin`, then `start --target=admin`
// on a real PostgreSQL and Kafka, with ADMIN_BOOTSTRAP_* set. Usage arrives over Kafka into the
// ledger; a revoked key goes out over Kafka as admin.config.v1.
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AdminConfigV1, adminConfigV1, type Identity, llmUsageV1 } from '@switchyard/contracts'
import { createKafkaBus, type EventBus } from '@switchyard/events'
import { createInternalTokenSigner, generateInternalKeyPair } from '@switchyard/kit'
import { migrateTarget, type Switchyard, start } from '@switchyard/runtime'
import { createScratchDatabase, getInfra, type ScratchDatabase } from '@switchyard/testing'
import type pg from 'pg'
import { pino } from 'pino'
import { afterAll, beforeAll, expect, test, vi } from 'vitest'
import { resolveKeysScope } from './access/roles.ts'
import { usage } from './admin-under-test.ts'
import { adminService } from './service.ts'

const ownerEmail = `owner-${randomUUID()}@example.com`
const keys = generateInternalKeyPair()
const signer = createInternalTokenSigner({ privateKey: keys.privateKey })
let database: ScratchDatabase
let pool: pg.Pool
let dataDir: string
let switchyard: Switchyard
let bus: EventBus
const configEvents: AdminConfigV1[] = []

beforeAll(async () => {
  const infra = getInfra()
  database = await createScratchDatabase('admin_target', { max: 2 })
  pool = database.pool
  dataDir = await mkdtemp(join(tmpdir(), 'switchyard-admin-target-'))
  const env = {
    DATABASE_URL: database.url.toString(),
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
    SWITCHYARD_DATA_DIR: dataDir,
    SWITCHYARD_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ADMIN_BOOTSTRAP_ORG: 'Operator',
    ADMIN_BOOTSTRAP_OWNER_EMAIL: ownerEmail,
  }
  const services = { admin: adminService }
  const migrated = await migrateTarget({ target: 'admin', env, services, homeDir: dataDir })
  expect(migrated.reports[0]?.applied.length).toBeGreaterThan(0)
  switchyard = await start({ target: 'admin', env, services, homeDir: dataDir, listen: false })

  bus = await createKafkaBus({
    brokers: infra.kafkaBrokers,
    clientId: 'admin-int-test',
    logger: pino({ level: 'silent' }),
    consumer: {
      sessionTimeout: 6_000,
      heartbeatInterval: 300,
      rebalanceTimeout: 3_000,
      maxWaitTimeInMs: 250,
    },
  })
  await bus.subscribe(adminConfigV1, `admin-int-test.${randomUUID()}`, async (event) => {
    configEvents.push(event.data)
  })
}, 120_000)

afterAll(async () => {
  await bus?.close()
  await switchyard?.close()
  await database?.drop()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

async function owner(): Promise<Identity> {
  const { rows } = await pool.query<{ org_id: string; user_id: string }>(
    'SELECT m.org_id, m.user_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1',
    [ownerEmail],
  )
  const row = rows[0]
  if (!row) throw new Error('not bootstrapped')
  return { orgId: row.org_id, userId: row.user_id, keyId: null, scopes: [] }
}

const as = async (who: Identity) => ({ authorization: `Bearer ${await signer.sign(who)}` })

test('usage published on Kafka lands in the ledger and its report', async () => {
  const me = await owner()
  const costs = [0.0125, 0.5, 0.0000071]
  for (const costUsd of costs)
    await bus.publish(llmUsageV1, me.orgId, usage({ orgId: me.orgId, userId: me.userId, costUsd }))
  const report = async () =>
    (await switchyard.app.inject({ method: 'GET', url: '/admin/v1/usage', headers: await as(me) })).json()
      .totals
  await vi.waitFor(async () => expect((await report()).requests).toBe(costs.length), {
    timeout: 60_000,
    interval: 250,
  })
  expect((await report()).costUsd).toBeCloseTo(
    costs.reduce((s, c) => s + c, 0),
    12,
  )
})

test('a revoked key is announced on Kafka and no longer resolves', async () => {
  const me = await owner()
  const created = await switchyard.app.inject({
    method: 'POST',
    url: '/admin/v1/keys',
    headers: await as(me),
    payload: { name: 'ci' },
  })
  expect(created.statusCode).toBe(201)
  const { key, secret } = created.json()
  const gateway: Identity = { orgId: 'platform', userId: 'gateway', keyId: null, scopes: [resolveKeysScope] }
  const resolve = async () =>
    switchyard.app.inject({
      method: 'POST',
      url: '/admin/v1/internal/keys/resolve',
      headers: await as(gateway),
      payload: { key: secret },
    })
  expect((await resolve()).statusCode).toBe(200)
  const revoked = await switchyard.app.inject({
    method: 'POST',
    url: `/admin/v1/keys/${key.id}/revoke`,
    headers: await as(me),
  })
  expect(revoked.statusCode).toBe(200)
  expect((await resolve()).statusCode).toBe(401)
  await vi.waitFor(
    () =>
      expect(configEvents.find((e) => e.kind === 'key-revoked' && e.payload.keyId === key.id)).toMatchObject({
        orgId: me.orgId,
      }),
    { timeout: 60_000, interval: 250 },
  )
  const { rows } = await pool.query<{ pending: number }>(
    'SELECT count(*)::int AS pending FROM config_outbox WHERE published_at IS NULL',
  )
  expect(rows[0]?.pending).toBe(0)
})
