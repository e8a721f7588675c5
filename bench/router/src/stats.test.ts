import { describe, expect, test } from 'vitest'
import { percentile, rotate, summarize } from './stats.ts'

describe('percentile', () => {
  test('interpolates between the nearest ranks', () => {
    const values = Array.from({ length: 101 }, (_, i) => i * 2) // 0, 2, ..., 200
    expect(percentile(values, 50)).toBe(100)
    expect(percentile(values, 99)).toBe(198)
    expect(percentile(values, 0)).toBe(0)
    expect(percentile(values, 100)).toBe(200)
    // Four values: rank (p / 100) * 3, e.g. p90 -> 2.7, between 30 and 40.
    expect(percentile([10, 20, 30, 40], 90)).toBeCloseTo(30 + 0.7 * 10, 10)
    expect(percentile([10, 20, 30, 40], 50)).toBe(25)
  })

  test('one value is every percentile; none is NaN; p outside 0..100 is an error', () => {
    expect(percentile([7], 1)).toBe(7)
    expect(percentile([7], 99)).toBe(7)
    expect(percentile([], 50)).toBeNaN()
    expect(() => percentile([1, 2], 101)).toThrow(RangeError)
  })
})

test('summarize sorts a copy and reports count, percentiles and mean', () => {
  const samples = [5, 1, 4, 2, 3]
  const summary = summarize(samples)
  expect(summary).toMatchObject({ count: 5, p50: 3, mean: 3 })
  // Ranks 0.9 * 4 = 3.6 and 0.99 * 4 = 3.96 of 1..5: between 4 and 5.
  expect(summary.p90).toBeCloseTo(4.6, 10)
  expect(summary.p99).toBeCloseTo(4.96, 10)
  expect(samples).toEqual([5, 1, 4, 2, 3])
})

test('rotate starts each round with the next path', () => {
  const order = ['direct', 'floor', 'router']
  expect(rotate(order, 0)).toEqual(order)
  expect(rotate(order, 1)).toEqual(['floor', 'router', 'direct'])
  expect(rotate(order, 5)).toEqual(['router', 'direct', 'floor'])
})
