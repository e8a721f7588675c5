import { randomUUID } from 'node:crypto'
import { getInfra } from '@switchyard/test-backends'
import { Redis } from 'ioredis'
import { expect, onTestFinished, test } from 'vitest'
import { LOG_READER_NAME } from './event-logs/redis-event-logs.ts'
import { redisStateFixture } from './fixtures.ts'
import { createRedisState } from './redis-state.ts'
import { sharedStateContract } from './shared-state.contract.ts'

const { redisUrl } = await getInfra()

sharedStateContract('redis', async () => redisStateFixture(redisUrl))

test('blocking log reads in flight share one connection of the state, whatever their number', async () => {
  const prefix = `test:state:${randomUUID()}:`
  const admin = new Redis(redisUrl)
  const state = createRedisState(new Redis(redisUrl), { prefix })
  onTestFinished(async () => {
    await state.close()
    admin.disconnect()
  })
  const readers = async () =>
    String(await admin.client('LIST'))
      .split('\n')
      .filter((line) => line.includes(`name=${LOG_READER_NAME}`)).length
  const before = await readers()
  const reads = Array.from({ length: 40 }, (_, i) => state.eventLogs.readBlocking(`quiet:${i}`, '0', 1_500))
  await new Promise((resolve) => setTimeout(resolve, 300))
  expect(await readers()).toBe(before + 1)
  const appended = await state.eventLogs.append('quiet:7', 'x', { maxLen: 10, ttlMs: 10_000 })
  const answers = await Promise.all(reads)
  expect(answers[7]).toEqual([{ id: appended, data: 'x' }])
  expect(answers.filter((a) => a.length === 0)).toHaveLength(39)
})

test('limits keys are the documented ones, under the state prefix', async () => {
  const prefix = `test:state:${randomUUID()}:`
  const admin = new Redis(redisUrl)
  const state = createRedisState(new Redis(redisUrl), { prefix })
  onTestFinished(async () => {
    await state.close()
    const keys = await admin.keys(`${prefix}*`)
    if (keys.length > 0) await admin.del(...keys)
    admin.disconnect()
  })
  const now = Date.now()
  await state.limits.admit({
    now,
    windowMs: 60_000,
    reservationId: 'r1',
    tokens: 5,
    costMicros: 7,
    holdTtlMs: 60_000,
    rates: [{ key: 'rl:{o:a}:key:k', rpm: 10, tpm: -1 }],
    budgets: [{ key: 'budget:{o:a}:key:k:day:x', limitMicros: 100 }],
    ledgerTtlMs: [60_000],
  })
  expect((await admin.keys(`${prefix}*`)).map((key) => key.slice(prefix.length)).sort()).toEqual([
    'budget:{o:a}:key:k:day:x:amounts',
    'budget:{o:a}:key:k:day:x:holds',
    'budget:{o:a}:key:k:day:x:ledger',
    'rl:{o:a}:key:k:counts',
    'rl:{o:a}:key:k:tokens',
    'rl:{o:a}:key:k:totals',
  ])
})
