import { expect, test } from 'vitest'
import { rotate, summarize } from './stats.ts'

/** Whether `actual` is within the histogram's precision (three significant digits) of `expected`. */
const withinPrecision = (actual: number, expected: number) => Math.abs(actual - expected) / expected < 1e-3

test('summarize reports count, percentiles and mean of unsorted samples, leaving them as they are', () => {
  // 1..1000 ms in steps of 0.5 ms, shuffled: nearest-rank percentiles are the p-th share of them.
  const sorted = Array.from({ length: 1999 }, (_, i) => 1 + i / 2)
  const samples = sorted.map((value, i) => sorted[(i * 7) % sorted.length] ?? value)
  const copy = [...samples]
  const summary = summarize(samples)
  expect(summary.count).toBe(samples.length)
  for (const [p, value] of [
    [50, summary.p50],
    [90, summary.p90],
    [99, summary.p99],
  ] as const) {
    const expected = sorted[Math.ceil((p / 100) * sorted.length) - 1] as number
    expect(withinPrecision(value, expected), `p${p}: ${value} vs ${expected}`).toBe(true)
  }
  const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length
  expect(withinPrecision(summary.mean, mean)).toBe(true)
  expect(samples).toEqual(copy)
})

test('fractions of a millisecond survive; no samples summarize to NaN', () => {
  expect(withinPrecision(summarize([0.25]).p50, 0.25)).toBe(true)
  expect(summarize([])).toMatchObject({ count: 0, p50: Number.NaN, p99: Number.NaN, mean: Number.NaN })
})

test('rotate starts each round with the next path', () => {
  const order = ['direct', 'floor', 'router']
  expect(rotate(order, 0)).toEqual(order)
  expect(rotate(order, 1)).toEqual(['floor', 'router', 'direct'])
  expect(rotate(order, 5)).toEqual(['router', 'direct', 'floor'])
})
