// admin.config.v1 → the running router, one item per event: `routes` sets or removes one alias of
// admin's catalog, `budget` one budget in the limits. Other kinds (prices, key-revoked,
// prompt-label) are not the router's.
import type { KeyObject } from 'node:crypto'
import { type AdminConfigV1, adminConfigKey, adminConfigV1 } from '@switchyard/contracts'
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

type BudgetSection = 'orgs' | 'users' | 'keys'
const sections: Record<string, BudgetSection> = { org: 'orgs', user: 'users', key: 'keys' }

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
  /** The highest version applied per item (`adminConfigKey`): admin numbers them per (kind, org). */
  const versions = new Map<string, number>()
  /** Admin's catalog entries as announced so far, by alias. */
  const adminModels = new Map<string, unknown>()
  /** Each org's budgets as admin announced them, in the limits section's `orgBudgets` form. */
  let orgBudgets: Record<string, Record<BudgetSection, Record<string, unknown>>> = {}

  const catalogOf = (models: Map<string, unknown>, source: string) =>
    buildCatalog({ models: Object.fromEntries(models) }, { providers, policy }, source)

  /**
   * One alias set or removed. The entry is checked on its own first (a bad one is refused and
   * nothing changes); the whole catalog is then rebuilt. When that fails only because the entry
   * names an alias not heard of yet (a fallback announced later), admin's entries are kept and the
   * router serves its current catalog until the rest arrives.
   */
  const applyRoute = (payload: Record<string, unknown>, source: string): void => {
    const { alias, model } = payload
    if (typeof alias !== 'string' || alias === '' || (model !== null && typeof model !== 'object'))
      throw new Error('a routes change needs { alias, model }')
    if (model !== null) {
      const alone = { ...(model as Record<string, unknown>), fallbacks: [], fallbacksOn: {} }
      catalogOf(new Map([[alias, alone]]), source)
    }
    if (model === null) adminModels.delete(alias)
    else adminModels.set(alias, model)
    try {
      router.applyCatalog(catalogOf(adminModels, source))
    } catch (err) {
      logger.warn({ err, alias }, `${source}: catalog incomplete for now; serving the current one`)
    }
  }

  /** One budget set or removed; the limits are validated whole, so a bad one changes nothing. */
  const applyBudget = (orgId: string, payload: Record<string, unknown>): void => {
    if (limits === undefined) return
    const { scope, subjectId, budget } = payload
    const section = typeof scope === 'string' ? sections[scope] : undefined
    if (section === undefined || typeof subjectId !== 'string' || subjectId === '' || budget === undefined)
      throw new Error('a budget change needs { scope, subjectId, budget }')
    const current = orgBudgets[orgId] ?? { orgs: {}, users: {}, keys: {} }
    const { [subjectId]: _replaced, ...others } = current[section]
    const org = { ...current, [section]: budget === null ? others : { ...others, [subjectId]: budget } }
    const next = { ...orgBudgets, [orgId]: org }
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
    const key = adminConfigKey(change)
    if (change.version <= (versions.get(key) ?? 0)) return 'stale'
    const source = `admin.config.v1 ${key} version ${change.version}`
    try {
      if (change.kind === 'routes') applyRoute(change.payload, source)
      else applyBudget(change.orgId as string, change.payload)
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
