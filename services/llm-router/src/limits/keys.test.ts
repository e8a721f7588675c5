import { expect, test } from 'vitest'
import { formatUsd, worstCaseMicros } from './admission.ts'
import { budgetKey, periodOf, rateKey } from './keys.ts'

test('periods are UTC calendar days and months, and end where the next begins', () => {
  const newYearsEve = Date.UTC(2024, 11, 31, 23, 59, 59, 999)
  expect(periodOf('day', newYearsEve)).toEqual({
    name: 'day:2024-12-31',
    startsAt: Date.UTC(2024, 11, 31),
    endsAt: Date.UTC(2025, 0, 1),
  })
  expect(periodOf('month', newYearsEve)).toEqual({
    name: 'month:2024-12',
    startsAt: Date.UTC(2024, 11, 1),
    endsAt: Date.UTC(2025, 0, 1),
  })
  const leapDay = Date.UTC(2024, 1, 29, 0, 0, 0)
  expect(periodOf('day', leapDay)).toMatchObject({ name: 'day:2024-02-29', endsAt: Date.UTC(2024, 2, 1) })
  expect(periodOf('month', leapDay).endsAt).toBe(Date.UTC(2024, 2, 1))
  // The first instant of a period belongs to it.
  expect(periodOf('month', Date.UTC(2025, 6, 1)).name).toBe('month:2025-07')
})

test("every key of a request carries its org's hash tag, and ids cannot break out of it", () => {
  const keys = [rateKey('acme', 'user', 'alice'), budgetKey('acme', 'key', 'k1', 'day:2025-06-30')]
  for (const key of keys) expect(key.match(/\{[^}]*\}/)?.[0]).toBe('{o:acme}')
  const sneaky = rateKey('a}b{c', 'user', 'x:y')
  expect(sneaky?.match(/\{[^}]*\}/)?.[0]).toBe(`{o:${encodeURIComponent('a}b{c')}}`)
  expect(sneaky).toContain(`user:${encodeURIComponent('x:y')}`)
})

test('the worst case is prompt and max tokens at the per-million prices, in whole micro-dollars', () => {
  const pricing = { inputPerMillion: 1.1, outputPerMillion: 0 }
  // 100 * 1.1 is 110 exactly, though the floats say 110.00000000000001: not 111.
  expect(100 * pricing.inputPerMillion).toBeGreaterThan(110)
  expect(worstCaseMicros(pricing, 100, 0)).toBe(110)
  expect(worstCaseMicros({ inputPerMillion: 2, outputPerMillion: 10 }, 1000, 500)).toBe(1000 * 2 + 500 * 10)
  // A fraction of a micro-dollar is rounded up: a reservation never undershoots.
  expect(worstCaseMicros({ inputPerMillion: 0.5, outputPerMillion: 0 }, 3, 0)).toBe(2)
})

test('money in messages shows cents, and more digits only when cents would hide it', () => {
  expect(formatUsd(12_500_000)).toBe('$12.50')
  expect(formatUsd(450)).toBe('$0.00045')
  expect(formatUsd(0)).toBe('$0.00')
})
