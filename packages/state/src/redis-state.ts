import type { Redis } from 'ioredis'
import { createRedisEventLogs } from './event-logs/redis-event-logs.ts'
import { createRedisFixedWindows } from './fixed-windows/redis-fixed-windows.ts'
import { createRedisLimitsStore } from './limits/redis-limits-store.ts'
import type { SharedState } from './shared-state.ts'
import { createRedisValues } from './values/redis-values.ts'

export interface RedisStateOptions {
  /** Prepended to every key, so several deployments or tests can share one Redis. Default 'switchyard:'. */
  prefix?: string
}

/** SharedState on Redis. The state owns the client from here on: `close()` quits it. */
export function createRedisState(redis: Redis, options: RedisStateOptions = {}): SharedState {
  const prefix = options.prefix ?? 'switchyard:'
  const eventLogs = createRedisEventLogs(redis, prefix)
  return {
    values: createRedisValues(redis, prefix),
    fixedWindows: createRedisFixedWindows(redis, prefix),
    eventLogs,
    limits: createRedisLimitsStore(redis, prefix),
    async ping() {
      try {
        return (await redis.ping()) === 'PONG'
      } catch {
        return false
      }
    },
    async close() {
      eventLogs.close()
      if (redis.status === 'end') return
      await redis.quit().catch(() => redis.disconnect())
    },
  }
}
