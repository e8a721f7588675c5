import { eventSigningKey } from '@switchyard/events'
import type { ServiceContext, ServicePlugin } from '@switchyard/kit'
import { installAccessControl } from './access/caller.ts'
import { auditRoutes } from './audit/routes.ts'
import { bootstrapOnStart } from './bootstrap/bootstrap.ts'
import { budgetsRoutes } from './budgets/routes.ts'
import type { AdminConfig } from './config.ts'
import { createConfigRelay } from './config-events/outbox.ts'
import { asTransactional } from './db/sql.ts'
import type { AdminDeps } from './deps.ts'
import { createKeyResolver } from './keys/resolve.ts'
import { keysRoutes, resolveKeyRoutes } from './keys/routes.ts'
import { catalogRoutes, modelsRoutes } from './models/routes.ts'
import { oidcSettingsRoutes, resolveMemberRoutes } from './oidc/routes.ts'
import { orgsRoutes } from './orgs/routes.ts'
import { promptsRoutes, resolvePromptRoutes } from './prompts/routes.ts'
import { subscribeUsageLedger } from './usage/consumer.ts'
import { usageRoutes } from './usage/routes.ts'
import { usersRoutes } from './users/routes.ts'

/**
 * The admin service. Order: the database (migrated by the runtime before this runs), then the
 * bootstrap (so the first request already finds the operator org), the relay of unpublished
 * config events, the routes, and last the ledger consumer, which may start writing at once.
 */
export const adminPlugin: ServicePlugin<AdminConfig> = async (app, options: ServiceContext<AdminConfig>) => {
  const { config, logger, bus } = options
  const pool = asTransactional(options.sql)

  if (config.ADMIN_BOOTSTRAP_ORG !== undefined && config.ADMIN_BOOTSTRAP_OWNER_EMAIL !== undefined) {
    await bootstrapOnStart(
      pool,
      { orgName: config.ADMIN_BOOTSTRAP_ORG, ownerEmail: config.ADMIN_BOOTSTRAP_OWNER_EMAIL },
      logger,
    )
  }

  const relay = createConfigRelay({
    db: pool,
    bus,
    logger,
    intervalMs: config.ADMIN_CONFIG_RELAY_INTERVAL_MS,
    signingKey:
      config.ADMIN_CONFIG_EVENTS_SIGNING_KEY === undefined
        ? undefined
        : eventSigningKey(config.ADMIN_CONFIG_EVENTS_SIGNING_KEY),
  })
  // Whatever a crash or a broker outage left unpublished goes out now, not at the first tick.
  void relay.flush()
  const deps: AdminDeps = { pool, relay, config, logger }

  installAccessControl(app, pool)
  orgsRoutes(app, deps)
  usersRoutes(app, deps)
  oidcSettingsRoutes(app, deps)
  keysRoutes(app, deps)
  modelsRoutes(app, deps)
  budgetsRoutes(app, deps)
  promptsRoutes(app, deps)
  usageRoutes(app, deps)
  auditRoutes(app, deps)
  resolveKeyRoutes(
    app,
    createKeyResolver({ db: pool, lastUsedIntervalMs: config.ADMIN_KEY_LAST_USED_INTERVAL_MS, logger }),
  )
  resolveMemberRoutes(app, deps)
  catalogRoutes(app, deps)
  resolvePromptRoutes(app, deps)

  const ledger = await subscribeUsageLedger(bus, pool, logger)
  // Stop consuming and publishing before the runtime closes the bus and the pool.
  app.addHook('onClose', async () => {
    await ledger.close()
    await relay.stop()
  })
}
