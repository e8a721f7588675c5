import type { Redis } from 'ioredis'
import { assertSafeInteger, toDurationMs } from '../durations.ts'
import type { FixedWindows } from './fixed-windows.ts'

/**
 * The first hit creates the counter with the window as its TTL. A counter that lost its TTL (a
 * PERSIST, a failover mid-script) gets it back, so a key can never block forever. Returns
 * { count, pttl }.
 */
const hitLua = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }
`

interface FixedWindowCommands {
  switchyardHit(key: string, windowMs: number): Promise<[number, number]>
}

/** FixedWindows on Redis: one counter per key, INCR and its TTL in one script. */
export function createRedisFixedWindows(redis: Redis, prefix: string): FixedWindows {
  redis.defineCommand('switchyardHit', { numberOfKeys: 1, lua: hitLua })
  const commands = redis as Redis & FixedWindowCommands
  return {
    async hit(key, limit, windowMs) {
      assertSafeInteger(limit, 'limit')
      const window = toDurationMs(windowMs, 'windowMs')
      const [count, ttl] = await commands.switchyardHit(prefix + key, window)
      return { allowed: count <= limit, remaining: Math.max(0, limit - count), resetMs: Math.max(0, ttl) }
    },
  }
}
