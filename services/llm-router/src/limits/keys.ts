import type { BudgetPeriod, Scope } from './config.ts'

// Key names in the shared state. Every key of one request carries the org in a hash tag
// (`{o:acme}`), so one script's keys fall in one Redis Cluster slot; that also means a user's or a
// key's counts are per org they act in. Ids are URI-encoded so a brace or colon in one cannot
// change the tag or run into another key.

const tag = (orgId: string) => `{o:${encodeURIComponent(orgId)}}`
const scopeId = (scope: Scope, id: string) => `${scope}:${encodeURIComponent(id)}`

/** log (sorted set), weights (hash), used (string): see rate-limit-scripts.ts. */
export function rateKeys(orgId: string, scope: Scope, id: string): [string, string, string] {
  const base = `rl:${tag(orgId)}:${scopeId(scope, id)}`
  return [`${base}:log`, `${base}:weights`, `${base}:used`]
}

/** ledger (hash), holds (sorted set), amounts (hash): see budget-scripts.ts. */
export function budgetKeys(
  orgId: string,
  scope: Scope,
  id: string,
  period: string,
): [string, string, string] {
  const base = `budget:${tag(orgId)}:${scopeId(scope, id)}:${period}`
  return [`${base}:ledger`, `${base}:holds`, `${base}:amounts`]
}

export interface PeriodWindow {
  /** In key names: `day:2025-06-30`, `month:2025-06`. */
  name: string
  /** When it started, ms since the epoch. */
  startsAt: number
  /** When the next period starts, ms since the epoch. */
  endsAt: number
}

/** The UTC calendar period `now` falls in. */
export function periodOf(period: BudgetPeriod, now: number): PeriodWindow {
  const date = new Date(now)
  const y = date.getUTCFullYear()
  const m = date.getUTCMonth()
  if (period === 'day') {
    const d = date.getUTCDate()
    return {
      name: `day:${date.toISOString().slice(0, 10)}`,
      startsAt: Date.UTC(y, m, d),
      endsAt: Date.UTC(y, m, d + 1),
    }
  }
  return {
    name: `month:${date.toISOString().slice(0, 7)}`,
    startsAt: Date.UTC(y, m, 1),
    endsAt: Date.UTC(y, m + 1, 1),
  }
}

/** Most key triples remembered; past it the cache starts over (callers are a bounded set of ids). */
const maxCachedKeys = 10_000

/**
 * The same key names and periods, made once per caller and period rather than on every request
 * (URI-encoding and concatenating a dozen names, and two date conversions, per request add up).
 */
export function createKeyCache() {
  const rate = new Map<string, readonly [string, string, string]>()
  const budget = new Map<string, readonly [string, string, string]>()
  const periods: Partial<Record<BudgetPeriod, PeriodWindow>> = {}
  const remember = <T>(cache: Map<string, T>, key: string, make: () => T): T => {
    let value = cache.get(key)
    if (value === undefined) {
      if (cache.size >= maxCachedKeys) cache.clear()
      value = make()
      cache.set(key, value)
    }
    return value
  }
  // Lengths first: no org or id, whatever it contains, can pass for another's.
  const name = (orgId: string, scope: Scope, id: string) =>
    `${orgId.length}:${orgId}${scope}${id.length}:${id}`
  return {
    rate: (orgId: string, scope: Scope, id: string) =>
      remember(rate, name(orgId, scope, id), () => rateKeys(orgId, scope, id)),
    budget: (orgId: string, scope: Scope, id: string, period: string) =>
      remember(budget, name(orgId, scope, id) + period, () => budgetKeys(orgId, scope, id, period)),
    period(period: BudgetPeriod, now: number): PeriodWindow {
      const known = periods[period]
      if (known !== undefined && now >= known.startsAt && now < known.endsAt) return known
      const fresh = periodOf(period, now)
      periods[period] = fresh
      return fresh
    },
  }
}
