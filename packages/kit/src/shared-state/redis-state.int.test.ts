import { createHash, randomUUID } from 'node:crypto'
import { getInfra } from '@switchyard/test-backends'
import { Redis } from 'ioredis'
import { expect, onTestFinished, test } from 'vitest'
import { defineAtomicScript } from './atomic-script.ts'
import { createRedisState, STREAM_READER_NAME } from './redis-state.ts'
import { sharedStateContract } from './shared-state.contract.ts'

const { redisUrl } = await getInfra()

// Each test gets its own key prefix on the one real Redis; each open() is a separate connection,
// as two replicas would have.
sharedStateContract('redis', async () => {
  const prefix = `test:kit:${randomUUID()}:`
  return {
    open: () =>
      createRedisState(new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 }), { prefix }),
    async cleanup() {
      const redis = new Redis(redisUrl)
      try {
        const keys = await redis.keys(`${prefix}*`)
        if (keys.length > 0) await redis.del(...keys)
      } finally {
        redis.disconnect()
      }
    },
  }
})

// A script the server has never seen (its text is unique to this run) answers NOSCRIPT to EVALSHA;
// the state must fall back to EVAL, which also caches it for the next call. Flushing the script
// cache would show the same but would disturb everything else using this Redis.
test('a script the server does not know yet is sent once and then run by its sha', async () => {
  const lua = `-- ${randomUUID()}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`
  const script = defineAtomicScript({
    name: 'test.incr',
    lua,
    memory: (store, [key = ''], args) => store.incrBy(key, args.number(0)),
  })
  const sha = createHash('sha1').update(lua).digest('hex')
  const prefix = `test:kit:${randomUUID()}:`
  const admin = new Redis(redisUrl)
  const state = createRedisState(new Redis(redisUrl), { prefix })
  onTestFinished(async () => {
    await state.close()
    await admin.del(`${prefix}n`)
    admin.disconnect()
  })
  expect(await admin.script('EXISTS', sha)).toEqual([0])
  expect(await state.runScript(script, ['n'], [2])).toBe(2)
  expect(await admin.script('EXISTS', sha)).toEqual([1])
  expect(await state.runScript(script, ['n'], [3])).toBe(5)
  // Keys are prefixed like every other key of the state.
  expect(await admin.get(`${prefix}n`)).toBe('5')
})

test('blocking stream reads in flight share one connection of the state, whatever their number', async () => {
  const prefix = `test:kit:${randomUUID()}:`
  const admin = new Redis(redisUrl)
  const state = createRedisState(new Redis(redisUrl), { prefix })
  onTestFinished(async () => {
    await state.close()
    admin.disconnect()
  })
  const readers = async () =>
    String(await admin.client('LIST'))
      .split('\n')
      .filter((line) => line.includes(`name=${STREAM_READER_NAME}`)).length
  const before = await readers()
  const reads = Array.from({ length: 40 }, (_, i) => state.streamReadBlocking(`quiet:${i}`, '0', 1_500))
  await new Promise((resolve) => setTimeout(resolve, 300))
  expect(await readers()).toBe(before + 1)
  const appended = await state.streamAppend('quiet:7', 'x', { maxLen: 10, ttlMs: 10_000 })
  const answers = await Promise.all(reads)
  expect(answers[7]).toEqual([{ id: appended, data: 'x' }])
  expect(answers.filter((a) => a.length === 0)).toHaveLength(39)
})
