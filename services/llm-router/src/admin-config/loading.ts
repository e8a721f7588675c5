import type { KitServer, ReadinessCheck } from '@switchyard/kit'
import type { Logger } from 'pino'
import { llmRouterErrors } from '../errors.ts'

/** Seconds a caller is told to wait while the router loads admin's config. */
const retryAfterSeconds = 1

/**
 * Until the router has read admin.config.v1 as far as it stood at start (`loaded`), it knows
 * neither admin's catalog nor the budgets: an answer then would route by the operator's file alone
 * and spend past any budget. So every route of the router answers 503 LLM_ROUTER_ERR_CONFIG_LOADING
 * with Retry-After, and its readiness fails, until then. Install before the routes.
 */
export function holdUntilLoaded(
  app: KitServer,
  loaded: Promise<void>,
  deps: {
    logger: Logger
    now: () => number
    addReadinessCheck?: (name: string, check: ReadinessCheck) => void
  },
): void {
  let ready = false
  const started = deps.now()
  void loaded.then(() => {
    ready = true
    deps.logger.info({ ms: deps.now() - started }, "admin's config loaded: serving")
  })
  deps.addReadinessCheck?.('admin-config', async () => ready)
  app.addHook('onRequest', async () => {
    if (ready) return
    throw Object.assign(new llmRouterErrors.ConfigLoading(), {
      headers: { 'retry-after': String(retryAfterSeconds) },
    })
  })
}
