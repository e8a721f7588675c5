import { generateKeyPairSync } from 'node:crypto'
import type { AdminConfigV1 } from '@switchyard/contracts'
import { type EventBus, eventSigningKey, eventVerifyKey, verifyEventData } from '@switchyard/events'
import { pino } from 'pino'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type AdminUnderTest, startAdmin } from '../admin-under-test.ts'
import { asTransactional, transaction } from '../db/sql.ts'
import { createConfigRelay, enqueueConfigEvent } from './outbox.ts'

let admin: AdminUnderTest

beforeAll(async () => {
  // The service's own relay must not publish these tests' rows before the relay under test does.
  admin = await startAdmin({ ADMIN_CONFIG_RELAY_INTERVAL_MS: '1h' })
}, 60_000)
afterAll(() => admin?.close())

/** A bus whose broker is down for the first `failures` publishes (a hand-written fake, not a mock). */
function flakyBus(failures: number) {
  const published: AdminConfigV1[] = []
  let calls = 0
  const bus = {
    publish: async (_topic: unknown, _key: string, data: AdminConfigV1) => {
      if (++calls <= failures) throw new Error('broker unreachable')
      published.push(data)
      return { id: String(calls), type: 'admin.config.v1', time: new Date().toISOString(), key: _key, data }
    },
  } as unknown as EventBus
  return { bus, published }
}

const pending = async (orgId: string) =>
  (
    await admin.sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM config_outbox WHERE org_id = $1 AND published_at IS NULL',
      [orgId],
    )
  ).rows[0]?.n

test('an event whose publish failed stays in the outbox and goes out, in order, on the next flush', async () => {
  const orgId = `org_relay_${Date.now()}`
  const pool = asTransactional(admin.sql)
  for (const n of [1, 2, 3]) {
    await transaction(pool, (tx) => enqueueConfigEvent(tx, 'budget', orgId, { n }))
  }
  const { bus, published } = flakyBus(1)
  const relay = createConfigRelay({
    db: admin.sql,
    bus,
    logger: pino({ level: 'silent' }),
    intervalMs: 60_000,
  })
  try {
    await relay.flush()
    expect(published).toEqual([])
    expect(await pending(orgId)).toBe(3)
    await relay.flush()
    const mine = published.filter((e) => e.orgId === orgId)
    expect(mine.map((e) => [e.version, e.payload.n])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ])
    expect(await pending(orgId)).toBe(0)
  } finally {
    await relay.stop()
  }
})

test('a rolled-back change announces nothing', async () => {
  const orgId = `org_rollback_${Date.now()}`
  const pool = asTransactional(admin.sql)
  await expect(
    transaction(pool, async (tx) => {
      await enqueueConfigEvent(tx, 'budget', orgId, {})
      throw new Error('the change failed')
    }),
  ).rejects.toThrow('the change failed')
  expect(await pending(orgId)).toBe(0)
  const versions = await admin.sql.query('SELECT 1 FROM config_versions WHERE scope = $1', [orgId])
  expect(versions.rows).toEqual([])
})

test('with a signing key every event carries admin’s signature of the rest of it', async () => {
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const orgId = `org_signed_${Date.now()}`
  await transaction(asTransactional(admin.sql), (tx) =>
    enqueueConfigEvent(tx, 'budget', orgId, { scope: 'org', subjectId: orgId, amountUsd: 5, period: 'day' }),
  )
  const { bus, published } = flakyBus(0)
  const relay = createConfigRelay({
    db: admin.sql,
    bus,
    logger: pino({ level: 'silent' }),
    intervalMs: 60_000,
    signingKey: eventSigningKey(pem),
  })
  try {
    await relay.flush()
  } finally {
    await relay.stop()
  }
  const event = published.find((e) => e.orgId === orgId)
  const { signature, ...signed } = event as AdminConfigV1
  expect(verifyEventData(signed, signature, eventVerifyKey(pem))).toBe(true)
  expect(
    verifyEventData(
      { ...signed, payload: { ...signed.payload, amountUsd: 500 } },
      signature,
      eventVerifyKey(pem),
    ),
  ).toBe(false)
})
