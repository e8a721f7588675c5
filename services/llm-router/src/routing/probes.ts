import type { Logger } from 'pino'
import type { ModelRouter } from './router.ts'

export interface HealthLoopOptions {
  /** How often cooldowns are read back from the shared state, ms. */
  syncMs: number
  /** How often each deployment is probed (its model list), ms; 0 = never. */
  probeMs: number
  logger: Logger
}

/**
 * Background health work, off the request path: reading other replicas' cooldowns, and (when
 * enabled) active probes. A probe that fails counts as a failure; one that answers ends a cooldown
 * (not a Retry-After). Returns a stop function.
 */
export function startHealthLoops(router: ModelRouter, options: HealthLoopOptions): () => void {
  const { logger } = options
  let syncing = false
  const sync = setInterval(() => {
    if (syncing) return
    syncing = true
    router.health
      .sync(router.deploymentIds())
      .catch((err: unknown) => logger.warn({ err }, 'health: reading shared cooldowns failed'))
      .finally(() => {
        syncing = false
      })
  }, options.syncMs)
  sync.unref()

  let probe: NodeJS.Timeout | undefined
  if (options.probeMs > 0) {
    let probing = false
    probe = setInterval(() => {
      if (probing) return
      probing = true
      probeAll(router, logger).finally(() => {
        probing = false
      })
    }, options.probeMs)
    probe.unref()
  }
  return () => {
    clearInterval(sync)
    clearInterval(probe)
  }
}

export async function probeAll(router: ModelRouter, logger: Logger): Promise<void> {
  await Promise.all(
    [...router.states()].map(async (state) => {
      const { client, deployment } = state
      if (client.listModels === undefined) return
      const timeout = Math.min(deployment.timeouts.ttftMs, deployment.timeouts.totalMs, 10_000)
      try {
        await client.listModels(AbortSignal.timeout(timeout))
        router.health.recordSuccess(deployment.id)
      } catch (err) {
        logger.warn({ err, deployment: deployment.id }, 'health probe failed')
        router.health.recordFailure(deployment.id, { rateLimited: false })
      }
    }),
  )
}
