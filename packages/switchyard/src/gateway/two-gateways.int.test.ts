// The gateway as one service per process, twice: two `start --target=gateway` instances on a real
// Kafka and a real Redis, in front of `start --target=admin` on a real PostgreSQL. A key revoked
// through one gateway stops working on the other (admin.config.v1 over Kafka), and a rate limit
// holds across both (one counter in Redis).
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { adminService, bootstrapAdmin } from '@switchyard/admin'
import { gatewayService } from '@switchyard/gateway'
import { generateInternalKeyPair } from '@switchyard/kit'
import { migrateTarget, type Switchyard, start } from '@switchyard/runtime'
import { createScratchDatabase, getInfra, jsonBody, type ScratchDatabase } from '@switchyard/testing'
import type pg from 'pg'
import { afterAll, beforeAll, expect, test } from 'vitest'

const perKey = 10
const keys = generateInternalKeyPair()
let database: ScratchDatabase
let pool: pg.Pool
let dir: string
let admin: Switchyard
let gateways: [Switchyard, Switchyard]
let ownerKey: string

beforeAll(async () => {
  const infra = getInfra()
  database = await createScratchDatabase('gateway', { max: 2 })
  pool = database.pool
  dir = await mkdtemp(join(tmpdir(), 'switchyard-gateway-int-'))
  const common = {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
    SWITCHYARD_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SWITCHYARD_HOST: '127.0.0.1',
    SWITCHYARD_PORT: '0',
  }

  const adminEnv = {
    ...common,
    DATABASE_URL: database.url.toString(),
    SWITCHYARD_DATA_DIR: join(dir, 'admin'),
  }
  const services = { admin: adminService }
  await migrateTarget({ target: 'admin', env: adminEnv, services, homeDir: dir })
  admin = await start({ target: 'admin', env: adminEnv, services, homeDir: dir })
  ownerKey = (
    await bootstrapAdmin(pool, { orgName: 'Acme', ownerEmail: `owner-${randomUUID()}@example.com` })
  ).key

  const gateway = (name: string) =>
    start({
      target: 'gateway',
      services: { gateway: gatewayService },
      homeDir: dir,
      env: {
        ...common,
        REDIS_URL: infra.redisUrl,
        INTERNAL_TOKEN_PRIVATE_KEY: keys.privateKey,
        SWITCHYARD_DATA_DIR: join(dir, name),
        // Every peer is admin here: the only service these tests reach.
        SWITCHYARD_SERVICE_URL_TEMPLATE: admin.url,
        // Only a revocation can drop a cached key within the test.
        GATEWAY_KEY_CACHE_TTL_MS: '10m',
        GATEWAY_RATE_LIMIT_PER_KEY: String(perKey),
      },
    })
  gateways = await Promise.all([gateway('gateway-a'), gateway('gateway-b')])
}, 180_000)

afterAll(async () => {
  for (const gateway of gateways ?? []) await gateway?.close()
  await admin?.close()
  await database?.drop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** A new key of the owner's org, made through gateway A. */
async function createKey(name: string): Promise<{ id: string; secret: string }> {
  const res = await fetch(`${gateways[0].url}/admin/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ownerKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, scopes: ['admin:read'] }),
  })
  expect(res.status).toBe(201)
  const created = await jsonBody(res)
  return { id: created.key.id, secret: created.secret }
}

const listKeys = (gateway: Switchyard, secret: string) =>
  fetch(`${gateway.url}/admin/v1/keys`, { headers: { authorization: `Bearer ${secret}` } })

test('a key revoked through one gateway stops working on the second within 1 s (admin.config.v1 over Kafka)', async () => {
  const [a, b] = gateways
  const key = await createKey('revoke-me')
  // Both gateways resolve and cache it.
  for (const gateway of [a, b]) expect((await listKeys(gateway, key.secret)).status).toBe(200)

  const revoked = await fetch(`${a.url}/admin/v1/keys/${key.id}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ownerKey}` },
  })
  expect(revoked.status).toBe(200)
  const revokedAt = performance.now()
  let status = 200
  while (status !== 401 && performance.now() - revokedAt < 5_000) {
    status = (await listKeys(b, key.secret)).status
    if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 10))
  }
  const elapsedMs = performance.now() - revokedAt
  expect(status).toBe(401)
  expect(elapsedMs).toBeLessThan(1_000)
  expect((await listKeys(a, key.secret)).status).toBe(401)
})

test('a per-key rate limit holds across two gateways sharing Redis', async () => {
  const key = await createKey('limited')
  const requests = 3 * perKey
  // Alternating gateways, all at once.
  const answers = await Promise.all(
    Array.from({ length: requests }, (_, i) => listKeys(gateways[i % 2] as Switchyard, key.secret)),
  )
  const allowed = answers.filter((res) => res.status === 200)
  const limited = answers.filter((res) => res.status === 429)
  expect(allowed).toHaveLength(perKey)
  expect(limited).toHaveLength(requests - perKey)
  // One counter: across both gateways every remaining count from perKey-1 down to 0 was handed out once.
  const remaining = allowed
    .map((res) => Number(res.headers.get('x-ratelimit-remaining')))
    .sort((x, y) => x - y)
  expect(remaining).toEqual(Array.from({ length: perKey }, (_, i) => i))
  for (const res of limited) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
})
