import { randomUUID } from 'node:crypto'
import { createRedisState } from '@switchyard/state'
import { getInfra } from '@switchyard/testing'
import { Redis } from 'ioredis'
import { limitsContract } from './limits.contract.ts'

const { redisUrl } = await getInfra()

// The same contract on a real Redis: each test has its own key prefix, and each open() is a
// separate connection, as two router replicas would have.
limitsContract('redis', async () => {
  const prefix = `test:limits:${randomUUID()}:`
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
})
