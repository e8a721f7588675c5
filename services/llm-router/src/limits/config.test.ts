import { expect, test } from 'vitest'
import { buildLimits, LimitsConfigError } from './config.ts'

test('an override replaces only the fields it sets, and null lifts a default', () => {
  const limits = buildLimits({
    limits: {
      defaults: { org: { rpm: 600, tpm: 100_000 }, key: { rpm: 60, tpm: 10_000 } },
      orgs: { acme: { rpm: 3000 } },
      keys: { ci: { tpm: null } },
    },
  })
  expect(limits.rateLimitFor('org', 'acme')).toEqual({ rpm: 3000, tpm: 100_000 })
  expect(limits.rateLimitFor('org', 'globex')).toEqual({ rpm: 600, tpm: 100_000 })
  expect(limits.rateLimitFor('key', 'ci')).toEqual({ rpm: 60, tpm: null })
  expect(limits.rateLimitFor('user', 'alice')).toEqual({ rpm: null, tpm: null })
})

test('budgets: an id of its own wins over the default, null removes it, amounts become micro-dollars', () => {
  const limits = buildLimits({
    budgets: {
      defaults: { user: { amountUsd: 5.25, period: 'day' } },
      users: { intern: null, lead: { amountUsd: 0.000001, period: 'month' } },
    },
  })
  expect(limits.budgetFor('user', 'alice')).toEqual({ limitMicros: 5_250_000, period: 'day' })
  expect(limits.budgetFor('user', 'intern')).toBeNull()
  expect(limits.budgetFor('user', 'lead')).toEqual({ limitMicros: 1, period: 'month' })
  expect(limits.budgetFor('org', 'acme')).toBeNull()
})

test("an org's budgets from admin replace the by-id ones for that org only; the defaults stay", () => {
  const limits = buildLimits({
    budgets: {
      defaults: { user: { amountUsd: 5, period: 'day' } },
      orgs: { acme: { amountUsd: 1000, period: 'month' } },
      users: { alice: { amountUsd: 2, period: 'day' } },
    },
    orgBudgets: { acme: { users: { bob: { amountUsd: 1, period: 'month' } }, keys: { k1: null } } },
  })
  // In acme: admin's entries, else the defaults; the section's own by-id entries no longer apply.
  expect(limits.budgetFor('user', 'bob', 'acme')).toEqual({ limitMicros: 1_000_000, period: 'month' })
  expect(limits.budgetFor('user', 'alice', 'acme')).toEqual({ limitMicros: 5_000_000, period: 'day' })
  expect(limits.budgetFor('org', 'acme', 'acme')).toBeNull()
  expect(limits.budgetFor('key', 'k1', 'acme')).toBeNull()
  // Elsewhere, bob has the default and alice her own.
  expect(limits.budgetFor('user', 'bob', 'globex')).toEqual({ limitMicros: 5_000_000, period: 'day' })
  expect(limits.budgetFor('user', 'alice', 'globex')).toEqual({ limitMicros: 2_000_000, period: 'day' })
  expect(() => buildLimits({ orgBudgets: { acme: { teams: {} } } })).toThrow(LimitsConfigError)
})

test('an id named like an Object property is just an id', () => {
  const limits = buildLimits({ limits: { defaults: { user: { rpm: 5 } } }, budgets: {} })
  expect(limits.rateLimitFor('user', 'constructor')).toEqual({ rpm: 5, tpm: null })
  expect(limits.budgetFor('user', 'toString')).toBeNull()
})

test('defaults: reservations hold 15 minutes, an unbounded chat request counts 4096 completion tokens', () => {
  const limits = buildLimits({})
  expect(limits.reservationTtlMs).toBe(15 * 60_000)
  expect(limits.unboundedMaxTokens).toBe(4096)
})

test('every problem is listed in one error', () => {
  let error: unknown
  try {
    buildLimits(
      {
        limits: { defaults: { key: { rpm: 0 } }, teams: {} },
        budgets: { orgs: { acme: { amountUsd: -1, period: 'week' } } },
      },
      'router.yaml',
    )
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(LimitsConfigError)
  const { issues, message } = error as LimitsConfigError
  expect(message).toContain('router.yaml')
  expect(issues.some((i) => i.startsWith('/limits/defaults/key/rpm'))).toBe(true)
  expect(issues.some((i) => i.startsWith('/budgets/orgs/acme/amountUsd'))).toBe(true)
  expect(issues.some((i) => i.startsWith('/budgets/orgs/acme/period'))).toBe(true)
  expect(issues.some((i) => i.includes('teams'))).toBe(true)
})
