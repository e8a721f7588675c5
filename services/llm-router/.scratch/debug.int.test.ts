import { randomUUID } from 'node:crypto'
import { createRedisState } from '@switchyard/kit'
import { Redis } from 'ioredis'
import { test } from 'vitest'
import { createAdmission } from '../src/limits/admission.ts'
import { chat, identity } from '../src/limits/limits.contract.ts'

test('debug', async () => {
  const prefix = `test:dbg:${randomUUID()}:`
  const redis = new Redis('redis://127.0.0.1:6379')
  const state = createRedisState(new Redis('redis://127.0.0.1:6379'), { prefix })
  const admission = createAdmission({
    state,
    config: { budgets: { defaults: { org: { amountUsd: 1, period: 'day' } } } },
    now: () => Date.UTC(2025, 5, 15),
    logger: { warn: (o, m) => console.log(m, o) },
  })
  const free = { inputPerMillion: 0, outputPerMillion: 0 }
  const alice = identity('acme', 'alice', 'k')
  for (let i = 0; i < 10; i++) {
    const t = await admission.admit({ ...chat(alice, 1, 1), pricing: free })
    t.settle(0.1, { input: 1, output: 1 })
  }
  await admission.drain()
  const keys = await redis.keys(`${prefix}*`)
  for (const k of keys)
    console.log(
      k,
      await redis.type(k),
      k.endsWith('holds') ? await redis.zrange(k, 0, -1, 'WITHSCORES') : await redis.hgetall(k),
    )
  await state.close()
  redis.disconnect()
})
