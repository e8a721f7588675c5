import type { Redis } from 'ioredis'
import { assertSafeInteger, type HitResult, type SharedState, toDurationMs } from './shared-state.ts'

export interface RedisStateOptions {
  /** Prepended to every key, so several deployments or tests can share one Redis. Default 'switchyard:'. */
  prefix?: string
}

/**
 * Fixed window: the first hit creates the counter with the window as its TTL. A counter that lost
 * its TTL (a PERSIST, a failover mid-script) gets it back, so a key can never block forever.
 * Returns { count, pttl }.
 */
const hitScript = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }
`

/** INCRBY that sets the TTL only when it creates the key, in one step. */
const incrByScript = `
local existed = redis.call('EXISTS', KEYS[1])
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if existed == 0 and tonumber(ARGV[2]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
`

interface SwitchyardCommands {
  switchyardHit(key: string, windowMs: number): Promise<[number, number]>
  switchyardIncrBy(key: string, by: number, ttlMs: number): Promise<number>
}

/**
 * SharedState on Redis. The state owns the client from here on: `close()` quits it. The scripts
 * are sent by EVALSHA (ioredis loads them on first use), each one atomic on the server.
 */
export function createRedisState(redis: Redis, options: RedisStateOptions = {}): SharedState {
  const prefix = options.prefix ?? 'switchyard:'
  redis.defineCommand('switchyardHit', { numberOfKeys: 1, lua: hitScript })
  redis.defineCommand('switchyardIncrBy', { numberOfKeys: 1, lua: incrByScript })
  const commands = redis as Redis & SwitchyardCommands
  const k = (key: string) => prefix + key

  return {
    async get(key) {
      return redis.get(k(key))
    },
    async set(key, value, ttlMs) {
      if (ttlMs === undefined) await redis.set(k(key), value)
      else await redis.set(k(key), value, 'PX', toDurationMs(ttlMs, 'ttlMs'))
    },
    async del(key) {
      await redis.del(k(key))
    },
    async incrBy(key, by, ttlMs) {
      assertSafeInteger(by, 'by')
      const ttl = ttlMs === undefined ? 0 : toDurationMs(ttlMs, 'ttlMs')
      return Number(await commands.switchyardIncrBy(k(key), by, ttl))
    },
    async hit(key, limit, windowMs): Promise<HitResult> {
      assertSafeInteger(limit, 'limit')
      const window = toDurationMs(windowMs, 'windowMs')
      const [count, ttl] = await commands.switchyardHit(k(key), window)
      return { allowed: count <= limit, remaining: Math.max(0, limit - count), resetMs: Math.max(0, ttl) }
    },
    async ping() {
      try {
        return (await redis.ping()) === 'PONG'
      } catch {
        return false
      }
    },
    async close() {
      if (redis.status === 'end') return
      await redis.quit().catch(() => redis.disconnect())
    },
  }
}
