import type { Redis } from 'ioredis'
import { assertSafeInteger, toDurationMs } from '../durations.ts'
import type { ExpiringValues } from './values.ts'

/** INCRBY that sets the TTL only when it creates the key, in one step. */
const incrementLua = `
local existed = redis.call('EXISTS', KEYS[1])
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if existed == 0 and tonumber(ARGV[2]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
`

interface ValuesCommands {
  switchyardIncrement(key: string, by: number, ttlMs: number): Promise<number>
}

/** ExpiringValues on Redis: strings with PX, and one script for a counter's first TTL. */
export function createRedisValues(redis: Redis, prefix: string): ExpiringValues {
  redis.defineCommand('switchyardIncrement', { numberOfKeys: 1, lua: incrementLua })
  const commands = redis as Redis & ValuesCommands
  return {
    async get(key) {
      return redis.get(prefix + key)
    },
    async set(key, value, ttlMs) {
      if (ttlMs === undefined) await redis.set(prefix + key, value)
      else await redis.set(prefix + key, value, 'PX', toDurationMs(ttlMs, 'ttlMs'))
    },
    async del(key) {
      await redis.del(prefix + key)
    },
    async increment(key, by, ttlMs) {
      assertSafeInteger(by, 'by')
      const ttl = ttlMs === undefined ? 0 : toDurationMs(ttlMs, 'ttlMs')
      return Number(await commands.switchyardIncrement(prefix + key, by, ttl))
    },
  }
}
