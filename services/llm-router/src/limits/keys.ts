import type { BudgetPeriod, Scope } from './config.ts'

// Key names in the LimitsStore. Every key of one request carries the org in a hash tag
// (`{o:acme}`), so one request's keys fall in one Redis Cluster slot; that also means a user's or a
// key's counts are per org they act in. Ids are URI-encoded so a brace or colon in one cannot
// change the tag or run into another key.

const tag = (orgId: string) => `{o:${encodeURIComponent(orgId)}}`
const scopeId = (scope: Scope, id: string) => `${scope}:${encodeURIComponent(id)}`

/** A scope's rate log in the LimitsStore (on Redis, the prefix of its three keys). */
export function rateKey(orgId: string, scope: Scope, id: string): string {
  return `rl:${tag(orgId)}:${scopeId(scope, id)}`
}

/** A scope's budget ledger for one period in the LimitsStore. */
export function budgetKey(orgId: string, scope: Scope, id: string, period: string): string {
  return `budget:${tag(orgId)}:${scopeId(scope, id)}:${period}`
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
