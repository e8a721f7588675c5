import { describe, expect, test } from 'vitest'
import { overheadLine, percentile, summarize } from './stats.ts'

describe('percentile', () => {
  test('interpolates between the nearest ranks', () => {
    const values = Array.from({ length: 101 }, (_, i) => i * 2) // 0, 2, ..., 200
    expect(percentile(values, 50)).toBe(100)
    expect(percentile(values, 99)).toBe(198)
    // Four values: rank 0.9 * 3 = 2.7, between 30 and 40.
    expect(percentile([10, 20, 30, 40], 90)).toBeCloseTo(37, 10)
  })

  test('no values is NaN; p outside 0..100 is an error', () => {
    expect(percentile([], 50)).toBeNaN()
    expect(() => percentile([1], 101)).toThrow(RangeError)
  })
})

test('summarize reports percentiles of unsorted samples and requests per second', () => {
  const latenciesMs = [5, 1, 4, 2, 3]
  const summary = summarize({ latenciesMs, requests: 5, elapsedMs: 250 })
  expect(summary.p50Ms).toBe(3)
  // Rank 0.99 * 4 = 3.96 of 1..5.
  expect(summary.p99Ms).toBeCloseTo(4.96, 10)
  expect(summary.rps).toBe(20)
  expect(latenciesMs).toEqual([5, 1, 4, 2, 3])
})

test('the overhead line subtracts the direct latencies and divides the throughputs', () => {
  const at = (p50Ms: number, p99Ms: number, rps: number) => ({ requests: 1, p50Ms, p99Ms, rps })
  const line = overheadLine(
    { direct: at(1.0, 2.0, 900), gateway: at(1.25, 2.75, 700) },
    { direct: at(5, 9, 3000), gateway: at(7, 12, 2400) },
  )
  expect(line).toBe('gateway-overhead added_p50_ms=0.250 added_p99_ms=0.750 throughput_ratio=0.800')
})
