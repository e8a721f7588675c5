import type { Identity } from '@switchyard/contracts'
import { type Budget, type Limits, type Scope, scopes } from './config.ts'
import { budgetKeys, type PeriodWindow, periodOf, rateKeys } from './keys.ts'

/** A scope with a rate limit: one of the caller's key, user and org. */
export interface RateScope {
  scope: Scope
  id: string
  /** -1: not limited. */
  rpm: number
  tpm: number
}

/** A scope with a budget, and the period the caller is in. */
export interface BudgetScope {
  scope: Scope
  id: string
  budget: Budget
  period: PeriodWindow
}

/**
 * What applies to one caller (org, user, key) under one limits section: the scopes that have a
 * rate limit or a budget, and their keys as the scripts take them (counts, tokens, totals per rate
 * scope, then ledger, holds, amounts per budget scope). Good while `startsAt <= now < endsAt`:
 * its budgets' periods, or forever without budgets.
 */
export interface CallerLimits {
  rateScopes: readonly RateScope[]
  budgetScopes: readonly BudgetScope[]
  keys: readonly string[]
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
  const keys: string[] = []
  const budgetKeyList: string[] = []
  let startsAt = Number.NEGATIVE_INFINITY
  let endsAt = Number.POSITIVE_INFINITY
  for (const scope of scopes) {
    const id = ids[scope]
    if (id === null) continue
    const rate = limits.rateLimitFor(scope, id)
    if (rate.rpm !== null || rate.tpm !== null) {
      rateScopes.push({ scope, id, rpm: rate.rpm ?? -1, tpm: rate.tpm ?? -1 })
      keys.push(...rateKeys(orgId, scope, id))
    }
    const budget = limits.budgetFor(scope, id, orgId)
    if (budget !== null) {
      const period = periodOf(budget.period, now)
      budgetScopes.push({ scope, id, budget, period })
      budgetKeyList.push(...budgetKeys(orgId, scope, id, period.name))
      startsAt = Math.max(startsAt, period.startsAt)
      endsAt = Math.min(endsAt, period.endsAt)
    }
  }
  keys.push(...budgetKeyList)
  return { rateScopes, budgetScopes, keys, startsAt, endsAt }
}

/** Most callers remembered; past it the cache starts over (callers are a bounded set of ids). */
const maxCachedCallers = 10_000

/**
 * `callerLimitsOf`, made once per caller and budget period rather than on every request: looking
 * up the limits, URI-encoding and joining a dozen key names and converting dates, per request,
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
