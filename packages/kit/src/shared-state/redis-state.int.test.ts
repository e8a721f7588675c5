import { randomUUID } from 'node:crypto'
import { getInfra } from '@switchyard/testing'
import { Redis } from 'ioredis'
import { createRedisState } from './redis-state.ts'
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
