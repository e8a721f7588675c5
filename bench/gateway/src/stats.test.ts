import { expect, test } from 'vitest'
import { overheadLine, summarize } from './stats.ts'

test('summarize reports percentiles of unsorted samples and requests per second', () => {
  const latenciesMs = [5, 1, 4, 2, 3]
  const summary = summarize({ latenciesMs, requests: 5, elapsedMs: 250 })
  // Nearest rank, to the histogram's three significant digits.
  expect(summary.p50Ms).toBeCloseTo(3, 2)
  expect(summary.p99Ms).toBeCloseTo(5, 2)
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
