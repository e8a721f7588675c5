import type { Identity } from '@switchyard/contracts'
import { expect, test } from 'vitest'
import { callerLimitsOf, createCallerLimitsCache } from './caller-limits.ts'
import { buildLimits } from './config.ts'
import { budgetKey, rateKey } from './keys.ts'

const who = (orgId: string, userId: string, keyId: string | null): Identity => ({
  orgId,
  userId,
  keyId,
  scopes: [],
})

const limits = buildLimits({
  limits: { defaults: { key: { rpm: 10 } }, users: { alice: { tpm: 1000 } } },
  budgets: {
    defaults: { org: { amountUsd: 5, period: 'month' } },
    users: { alice: { amountUsd: 1, period: 'day' } },
  },
})
const noon = Date.UTC(2025, 5, 30, 12)

test('a caller gets the scopes that apply to it, each with its key in the store', () => {
  const alice = callerLimitsOf(limits, who('acme', 'alice', 'k1'), noon)
  expect(alice.rateScopes).toEqual([
    { scope: 'key', id: 'k1', key: rateKey('acme', 'key', 'k1'), rpm: 10, tpm: -1 },
    { scope: 'user', id: 'alice', key: rateKey('acme', 'user', 'alice'), rpm: -1, tpm: 1000 },
  ])
  expect(alice.budgetScopes.map((s) => [s.scope, s.id, s.period.name, s.key, s.limitMicros])).toEqual([
    ['user', 'alice', 'day:2025-06-30', budgetKey('acme', 'user', 'alice', 'day:2025-06-30'), 1_000_000],
    ['org', 'acme', 'month:2025-06', budgetKey('acme', 'org', 'acme', 'month:2025-06'), 5_000_000],
  ])
  // Good for as long as the shortest of its periods: the day.
  expect([alice.startsAt, alice.endsAt]).toEqual([Date.UTC(2025, 5, 30), Date.UTC(2025, 6, 1)])
  // Without a key there is no key scope; with nothing configured, nothing applies.
  expect(callerLimitsOf(limits, who('acme', 'bob', null), noon).rateScopes).toEqual([])
  const nobody = callerLimitsOf(buildLimits({}), who('acme', 'bob', 'k2'), noon)
  expect([...nobody.rateScopes, ...nobody.budgetScopes]).toEqual([])
})

test('the cache answers as made fresh, keeps callers apart and follows the budget period', () => {
  const cache = createCallerLimitsCache(limits)
  const callers = [
    who('acme', 'alice', 'k1'),
    who('acme', 'alice', null),
    who('acme', 'bob', 'k1'),
    who('globex', 'alice', 'k1'),
    // Ids that would run together if joined naively.
    who('a\nuser', 'b', 'c'),
    who('a', 'user\nb', 'c'),
  ]
  for (let round = 0; round < 2; round++)
    for (const caller of callers)
      expect(cache.get(caller, noon)).toEqual(callerLimitsOf(limits, caller, noon))
  // The same object while its periods last: nothing is made again.
  const alice = callers[0] as Identity
  expect(cache.get(alice, noon)).toBe(cache.get(alice, noon + 3_600_000))
  const lastInstant = Date.UTC(2025, 5, 30, 23, 59, 59, 999)
  const budgetKeysOf = (caller: { budgetScopes: readonly { key: string }[] }) =>
    caller.budgetScopes.map((s) => s.key)
  expect(budgetKeysOf(cache.get(alice, lastInstant))).toContain(
    budgetKey('acme', 'user', 'alice', 'day:2025-06-30'),
  )
  const nextDay = budgetKeysOf(cache.get(alice, lastInstant + 1))
  expect(nextDay).toContain(budgetKey('acme', 'user', 'alice', 'day:2025-07-01'))
  expect(nextDay).toContain(budgetKey('acme', 'org', 'acme', 'month:2025-07'))
  // A clock that went back gets its own period again, not the cached later one.
  expect(cache.get(alice, lastInstant)).toEqual(callerLimitsOf(limits, alice, lastInstant))
})

test('past its size the cache starts over, and remembers again from there', () => {
  const cache = createCallerLimitsCache(limits)
  const first = who('acme', 'user-0', 'k')
  for (let i = 0; i <= 10_001; i++) cache.get(who('acme', `user-${i}`, 'k'), noon)
  const again = cache.get(first, noon)
  expect(again).toEqual(callerLimitsOf(limits, first, noon))
  expect(cache.get(first, noon)).toBe(again)
})
