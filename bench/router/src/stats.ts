// Summaries of latency samples, from Node's HDR histogram, shared by every bench.
import { createHistogram } from 'node:perf_hooks'

/** The histogram holds integers: samples are recorded in nanoseconds to keep their fractions. */
const nsPerMs = 1e6

export interface Summary {
  count: number
  /** Percentiles and mean in milliseconds, to the histogram's three significant digits. */
  p50: number
  p90: number
  p99: number
  mean: number
}

/** p50, p90, p99 and mean of samples in milliseconds; NaN for no samples. */
export function summarize(samplesMs: readonly number[]): Summary {
  const histogram = createHistogram()
  for (const ms of samplesMs) histogram.record(Math.max(1, Math.round(ms * nsPerMs)))
  const at = (p: number) => (histogram.count === 0 ? Number.NaN : histogram.percentile(p) / nsPerMs)
  return { count: histogram.count, p50: at(50), p90: at(90), p99: at(99), mean: histogram.mean / nsPerMs }
}

/** `order` rotated left by `round` places: each round starts with another path. */
export function rotate<T>(order: readonly T[], round: number): T[] {
  const n = order.length
  if (n === 0) return []
  const shift = ((round % n) + n) % n
  return [...order.slice(shift), ...order.slice(0, shift)]
}
