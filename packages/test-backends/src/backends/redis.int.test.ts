import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { getInfra } from '../infra-env.ts'
import { redisVersion } from '../infra-versions.ts'

const { redisUrl } = getInfra()
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
const prefix = `test:backends:${randomUUID()}:`

beforeAll(async () => {
  console.log(`redis: ${await redisVersion(redisUrl)}`)
})

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(...keys)
  redis.disconnect()
})

test('set, get and incr round-trip through the server', async () => {
  await redis.set(`${prefix}greeting`, 'hello', 'EX', 60)
  expect(await redis.get(`${prefix}greeting`)).toBe('hello')
  expect(await redis.ttl(`${prefix}greeting`)).toBeGreaterThan(0)
  expect(await redis.incr(`${prefix}counter`)).toBe(1)
  expect(await redis.incrby(`${prefix}counter`, 41)).toBe(42)
})

test('a Lua script runs atomically on the server: a capped counter stops at its cap', async () => {
  // Adds ARGV[1] unless that would pass ARGV[2]; returns {allowed, value}.
  const capped = `
    local current = tonumber(redis.call('GET', KEYS[1]) or '0')
    local by, cap = tonumber(ARGV[1]), tonumber(ARGV[2])
    if current + by > cap then return {0, current} end
    return {1, redis.call('INCRBY', KEYS[1], by)}
  `
  const key = `${prefix}capped`
  const results = []
  for (let i = 0; i < 4; i++) results.push(await redis.eval(capped, 1, key, '3', '10'))
  expect(results).toEqual([
    [1, 3],
    [1, 6],
    [1, 9],
    [0, 9],
  ])
  expect(await redis.get(key)).toBe('9')
})
