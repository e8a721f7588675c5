import type { Identity } from '@switchyard/contracts'
import type { BudgetLimit, RateLimit } from '@switchyard/state'
import { type Budget, type Limits, type Scope, scopes } from './config.ts'
import { budgetKey, type PeriodWindow, periodOf, rateKey } from './keys.ts'

/** A scope with a rate limit (one of the caller's key, user and org), as the LimitsStore takes it. */
export interface RateScope extends RateLimit {
  scope: Scope
  id: string
}

/** A scope with a budget and the period the caller is in, as the LimitsStore takes it. */
export interface BudgetScope extends BudgetLimit {
  scope: Scope
  id: string
  budget: Budget
  period: PeriodWindow
}

/**
 * What applies to one caller (org, user, key) under one limits section: the scopes that have a
 * rate limit or a budget, each with its key in the LimitsStore. Good while `startsAt <= now <
 * endsAt`: its budgets' periods, or forever without budgets.
 */
export interface CallerLimits {
  rateScopes: readonly RateScope[]
  budgetScopes: readonly BudgetScope[]
  startsAt: number
  endsAt: number
}

export function callerLimitsOf(limits: Limits, identity: Identity, now: number): CallerLimits {
  const ids: Record<Scope, string | null> = {
    key: identity.keyId,
    user: identity.userId,
    org: identity.orgId,
  }
  const { orgId } = identity
  const rateScopes: RateScope[] = []
  const budgetScopes: BudgetScope[] = []
  let startsAt = Number.NEGATIVE_INFINITY
  let endsAt = Number.POSITIVE_INFINITY
  for (const scope of scopes) {
    const id = ids[scope]
    if (id === null) continue
    const rate = limits.rateLimitFor(scope, id)
    if (rate.rpm !== null || rate.tpm !== null) {
      rateScopes.push({ scope, id, key: rateKey(orgId, scope, id), rpm: rate.rpm ?? -1, tpm: rate.tpm ?? -1 })
    }
    const budget = limits.budgetFor(scope, id, orgId)
    if (budget !== null) {
      const period = periodOf(budget.period, now)
      const key = budgetKey(orgId, scope, id, period.name)
      budgetScopes.push({ scope, id, key, limitMicros: budget.limitMicros, budget, period })
      startsAt = Math.max(startsAt, period.startsAt)
      endsAt = Math.min(endsAt, period.endsAt)
    }
  }
  return { rateScopes, budgetScopes, startsAt, endsAt }
}

/** Most callers remembered; past it the cache starts over (callers are a bounded set of ids). */
const maxCachedCallers = 10_000

/**
 * `callerLimitsOf`, made once per caller and budget period rather than on every request: looking
 * up the limits, URI-encoding and joining key names and converting dates, per request,
 * add up. Callers are found by their ids in nested maps, so no lookup key is built per request.
 */
export function createCallerLimitsCache(limits: Limits) {
  const byOrg = new Map<string, Map<string, Map<string | null, CallerLimits>>>()
  let size = 0
  return {
    limits,
    get(identity: Identity, now: number): CallerLimits {
      let byUser = byOrg.get(identity.orgId)
      let byKey = byUser?.get(identity.userId)
      const known = byKey?.get(identity.keyId)
      if (known !== undefined && now >= known.startsAt && now < known.endsAt) return known
      const fresh = callerLimitsOf(limits, identity, now)
      if (known === undefined && ++size > maxCachedCallers) {
        byOrg.clear()
        size = 1
        byUser = undefined
        byKey = undefined
      }
      if (byUser === undefined) {
        byUser = new Map()
        byOrg.set(identity.orgId, byUser)
      }
      if (byKey === undefined) {
        byKey = new Map()
        byUser.set(identity.userId, byKey)
      }
      byKey.set(identity.keyId, fresh)
      return fresh
    },
  }
}
