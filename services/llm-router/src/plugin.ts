import { randomUUID } from 'node:crypto'
import { eventVerifyKey } from '@switchyard/events'
import type { ServiceContext, ServicePlugin } from '@switchyard/kit'
import { createLlmMetrics } from '@switchyard/telemetry'
import { holdUntilLoaded } from './admin-config/loading.ts'
import { subscribeAdminConfig } from './admin-config/subscriber.ts'
import { initialCatalog } from './catalog/initial.ts'
import { adminCatalogPolicy } from './catalog/policy.ts'
import { chatRoutes } from './chat/routes.ts'
import type { LlmRouterConfig } from './config.ts'
import { embeddingsRoutes } from './embeddings/routes.ts'
import { Reporter } from './fast-path/reporter.ts'
import { createAdmission } from './limits/admission.ts'
import { modelRoutes, modelsRoutes } from './models/routes.ts'
import { type Admission, noAdmission } from './pipeline/admission.ts'
import type { PipelineDeps } from './pipeline/request.ts'
import { registerCooldownMetric } from './routing/cooldown-metric.ts'
import { startHealthLoops } from './routing/probes.ts'
import { ModelRouter } from './routing/router.ts'
import { type ProviderRegistry, providers as registry } from './upstreams/registry.ts'

/** What a caller may add to the runtime's context (tests, and the limits wiring). */
export interface LlmRouterExtras {
  /**
   * Replaces the rate limits and budgets built from LLM_ROUTER_LIMITS (src/limits/); admin's
   * budget changes are then not applied (tests).
   */
  admission?: Admission
  /** Replaces the provider registry (tests). */
  providers?: ProviderRegistry
  /** Receives the router once it is built: hot reload (`router.applyCatalog`) and tests. */
  onRouter?: (router: ModelRouter) => void
}

export type LlmRouterOptions = ServiceContext<LlmRouterConfig> & LlmRouterExtras

/**
 * The llm-router: the catalog and the limits are loaded (and fail the start when invalid) before
 * any route exists, then admin's config is subscribed to, then the routes, which answer 503 until
 * that config is read to where it stood at start, then the background health loops; all stopped
 * with the server.
 */
export const llmRouterPlugin: ServicePlugin<LlmRouterConfig> = async (app, options: LlmRouterOptions) => {
  const { config, logger } = options
  const providers = options.providers ?? registry
  const router = new ModelRouter({ providers, state: options.state, logger, now: options.now })
  const operatorCatalog = initialCatalog(config, providers, logger)
  router.applyCatalog(operatorCatalog)
  registerCooldownMetric(options.metrics, router)
  // Always built, even with no section: admin may announce budgets at any time.
  const limitsBase = config.LLM_ROUTER_LIMITS ?? {}
  const limits =
    options.admission === undefined
      ? createAdmission({
          store: options.state.limits,
          config: limitsBase,
          source: 'LLM_ROUTER_LIMITS',
          logger,
        })
      : undefined
  const deps: PipelineDeps = {
    router,
    admission: limits ?? options.admission ?? noAdmission,
    metrics: createLlmMetrics(options.metrics, { orgAllowList: new Set(config.LLM_ROUTER_METRICS_ORGS) }),
    bus: options.bus,
    logger,
    reporter: new Reporter(logger),
  }
  // Subscribed before the first request can arrive (the server listens after plugins load).
  const adminConfig = await subscribeAdminConfig(options.bus, config.LLM_ROUTER_INSTANCE_ID ?? randomUUID(), {
    router,
    providers,
    logger,
    policy: adminCatalogPolicy(config, operatorCatalog),
    ...(limits && { limits: { admission: limits, base: limitsBase } }),
    verifyKey:
      config.LLM_ROUTER_CONFIG_EVENTS_PUBLIC_KEY === undefined
        ? undefined
        : eventVerifyKey(config.LLM_ROUTER_CONFIG_EVENTS_PUBLIC_KEY),
    metrics: options.metrics,
  })
  holdUntilLoaded(app, adminConfig.caughtUp, {
    logger,
    now: options.now,
    ...(options.addReadinessCheck && { addReadinessCheck: options.addReadinessCheck }),
  })
  chatRoutes(app, deps)
  embeddingsRoutes(app, deps)
  modelsRoutes(app, router)
  modelRoutes(app, router)
  const stopLoops = startHealthLoops(router, {
    syncMs: config.LLM_ROUTER_HEALTH_SYNC_MS,
    probeMs: config.LLM_ROUTER_PROBE_INTERVAL_MS,
    logger,
  })
  // Reports of the last requests go out before the bus (closed by the runtime after this) goes;
  // their settles reach the state (also closed after this) before it goes.
  app.addHook('onClose', async () => {
    stopLoops()
    await adminConfig.close()
    await deps.reporter.flush()
    await limits?.drain()
    await router.close()
  })
  options.onRouter?.(router)
}
