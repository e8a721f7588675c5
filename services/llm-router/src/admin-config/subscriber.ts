// admin.config.v1 → the running router: `routes` swaps the catalog, `budget` replaces one org's
// budgets in the limits. Other kinds (prices, key-revoked, prompt-label) are not the router's.
import { type AdminConfigV1, adminConfigV1 } from '@switchyard/contracts'
import type { EventBus, Subscription } from '@switchyard/events'
import type { Logger } from 'pino'
import { buildCatalog } from '../catalog/load.ts'
import type { CatalogPolicy } from '../catalog/policy.ts'
import type { LimitsAdmission } from '../limits/admission.ts'
import type { ModelRouter } from '../routing/router.ts'
import type { ProviderRegistry } from '../upstreams/registry.ts'

export interface AdminConfigTargets {
  router: ModelRouter
  providers: ProviderRegistry
  /** The limits, with the section the router started with; absent when a caller replaced admission. */
  limits?: { admission: LimitsAdmission; base: Record<string, unknown> }
  logger: Logger
  /** What admin's catalogs may ask (hosts, secret files, downloads): a change outside it is refused. */
  policy: CatalogPolicy
}

/**
 * Applies admin's changes as they arrive, in a consumer group of this replica's own: every replica
 * must hear every change, not a share of them. On Kafka a new group reads from the oldest retained
 * event, so a replica that starts replays the history and ends on admin's latest state; versions it
 * already holds (a replay, a duplicate) are dropped, per (kind, org) as admin numbers them.
 *
 * A change that does not validate is logged and skipped: the router keeps what it has, and a retry
 * could not make it valid. Resolves once subscribed.
 */
export function subscribeAdminConfig(
  bus: EventBus,
  instanceId: string,
  targets: AdminConfigTargets,
): Promise<Subscription> {
  const apply = createAdminConfigApplier(targets)
  return bus.subscribe(adminConfigV1, `llm-router.config.${instanceId}`, async (event) => {
    apply(event.data, event.id)
  })
}

/** The handler, apart from the bus: returns what it did with the change. */
export function createAdminConfigApplier(
  targets: AdminConfigTargets,
): (change: AdminConfigV1, eventId?: string) => 'applied' | 'stale' | 'ignored' | 'invalid' {
  const { router, providers, limits, logger, policy } = targets
  const versions = new Map<string, number>()
  /** Each org's budgets as admin last announced them, in the limits section's `orgBudgets` form. */
  let orgBudgets: Record<string, unknown> = {}

  const applyRoutes = (payload: Record<string, unknown>, source: string) => {
    router.applyCatalog(buildCatalog(payload.catalog, { providers, policy }, source))
  }
  const applyBudgets = (orgId: string, payload: Record<string, unknown>) => {
    if (limits === undefined) return
    const next = { ...orgBudgets, [orgId]: payload.budgets }
    // Validated whole: a bad org payload is refused and every org keeps what it had.
    limits.admission.replaceConfig({ ...limits.base, orgBudgets: next })
    orgBudgets = next
  }

  return (change, eventId) => {
    if (change.kind !== 'routes' && change.kind !== 'budget') return 'ignored'
    if (change.kind === 'budget' && change.orgId === null) {
      logger.warn({ eventId, version: change.version }, 'admin.config budget change without an org: skipped')
      return 'invalid'
    }
    const key = `${change.kind}:${change.orgId ?? ''}`
    if (change.version <= (versions.get(key) ?? 0)) return 'stale'
    const source = `admin.config.v1 ${key} version ${change.version}`
    try {
      if (change.kind === 'routes') applyRoutes(change.payload, source)
      else applyBudgets(change.orgId as string, change.payload)
    } catch (err) {
      logger.error(
        { err, eventId, kind: change.kind, orgId: change.orgId },
        `${source} refused; keeping the current one`,
      )
      return 'invalid'
    }
    versions.set(key, change.version)
    logger.info(
      { eventId, kind: change.kind, orgId: change.orgId, version: change.version },
      'admin config applied',
    )
    return 'applied'
  }
}
