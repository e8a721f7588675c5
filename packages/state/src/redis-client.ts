import type { ConnectionOptions } from 'node:tls'
import { Redis } from 'ioredis'

export interface RedisClientOptions {
  /** A command that has not answered after this long is refused (a hung or unreachable server). */
  commandTimeoutMs: number
  /** How long one connection attempt may take. */
  connectTimeoutMs: number
  /** TLS (CA, client certificate): set for a `rediss://` URL or a server that requires it. */
  tls?: ConnectionOptions | undefined
}

/**
 * Connects the client the shared state runs on, configured to fail fast instead of ioredis' defaults
 * (an offline queue that holds commands while Redis is away, 20 retries per command, no timeout): a
 * command either answers or is refused within `commandTimeoutMs`, so each caller's fail-open or
 * fail-closed policy answers the request in bounded time. Reconnection keeps going in the background.
 * Throws when the first connection fails, so a target does not start against a Redis it cannot reach.
 */
export async function connectRedis(url: string, options: RedisClientOptions): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.connectTimeoutMs,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    ...(options.tls && { tls: options.tls }),
  })
  // connect() rejects with the first failure; the same failure is also an 'error' event.
  const ignore = () => {}
  redis.on('error', ignore)
  try {
    await redis.connect()
  } catch (error) {
    redis.disconnect()
    throw new Error(`Redis at ${redactedUrl(url)} did not answer: ${(error as Error).message}`, {
      cause: error,
    })
  } finally {
    redis.off('error', ignore)
  }
  return redis
}

function redactedUrl(url: string): string {
  const parsed = new URL(url)
  if (parsed.password !== '') parsed.password = '***'
  return parsed.toString()
}
