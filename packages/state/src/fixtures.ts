import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { createMemoryState } from './memory-state.ts'
import { createRedisState } from './redis-state.ts'
import type { SharedState } from './shared-state.ts'

/**
 * One empty store, seen through as many clients as a test opens (replicas of one deployment), for
 * contract suites here and in the services (`@switchyard/state/fixtures`).
 */
export interface StateFixture {
  open(): Promise<SharedState> | SharedState
  /** Removes what the test left behind; called after the clients are closed. */
  cleanup?(): Promise<void>
}

/** The one-process shape: every client is the same in-memory state. */
export function memoryStateFixture(): StateFixture {
  const state = createMemoryState()
  return { open: () => state }
}

/**
 * A real Redis: a key prefix of its own (so tests share one server), and each open() a separate
 * connection, as two replicas would have.
 */
export function redisStateFixture(redisUrl: string): StateFixture {
  const prefix = `test:state:${randomUUID()}:`
  return {
    open: () => createRedisState(new Redis(redisUrl, { maxRetriesPerRequest: 1 }), { prefix }),
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
}
