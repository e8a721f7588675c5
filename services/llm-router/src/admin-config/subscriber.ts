// admin.config.v1 → the running router: `routes` swaps the catalog, `budget` replaces one org's
// budgets in the limits. Other kinds (prices, key-revoked, prompt-label) are not the router's.
import type { KeyObject } from 'node:crypto'
import { type AdminConfigV1, adminConfigV1 } from '@switchyard/contracts'
import { type EventBus, type Subscription, verifyEventData } from '@switchyard/events'
import type { Logger } from 'pino'
import { Counter, type Registry } from 'prom-client'
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
  /** Admin's config-event public key: with it, an event without admin's valid signature is dropped. */
  verifyKey?: KeyObject | undefined
  /** Where `llm_router_config_events_rejected_total` is counted. */
  metrics?: Registry | undefined
}

/** Events dropped before they were applied, by reason (`signature`: not signed by admin's key). */
function rejectedCounter(registry: Registry | undefined): Counter | undefined {
  if (registry === undefined) return undefined
  const name = 'llm_router_config_events_rejected_total'
  return (
    (registry.getSingleMetric(name) as Counter | undefined) ??
    new Counter({
      name,
      help: 'admin.config.v1 events the router dropped without applying them, by reason',
      labelNames: ['reason'],
      registers: [registry],
    })
  )
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
): (change: AdminConfigV1, eventId?: string) => 'applied' | 'stale' | 'ignored' | 'invalid' | 'forged' {
  const { router, providers, limits, logger, policy, verifyKey } = targets
  const rejected = rejectedCounter(targets.metrics)
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
    if (verifyKey !== undefined) {
      const { signature, ...signed } = change
      if (!verifyEventData(signed, signature, verifyKey)) {
        // Anyone who can write to the topic could otherwise lift a budget or reroute a model.
        rejected?.inc({ reason: 'signature' })
        logger.error(
          {
            eventId,
            kind: change.kind,
            orgId: change.orgId,
            version: change.version,
            signed: signature !== undefined,
          },
          'admin.config.v1 event without a valid admin signature: dropped',
        )
        return 'forged'
      }
    }
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
