// Small statistics for the benchmark (copied from bench/router): percentiles of latency samples.

/**
 * The p-th percentile (0..100) of ascending `sorted` values, interpolated linearly between the two
 * nearest ranks (as numpy's default and Excel's PERCENTILE.INC). NaN for no values.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  if (p < 0 || p > 100) throw new RangeError(`percentile ${p} is outside 0..100`)
  const rank = (p / 100) * (sorted.length - 1)
  const low = Math.floor(rank)
  const high = Math.ceil(rank)
  const a = sorted[low] as number
  const b = sorted[high] as number
  return a + (b - a) * (rank - low)
}

export interface Summary {
  count: number
  p50: number
  p90: number
  p99: number
  mean: number
}

/** p50, p90, p99 and mean of unsorted samples (not modified). */
export function summarize(samples: readonly number[]): Summary {
  const sorted = Float64Array.from(samples).sort()
  const values = Array.from(sorted)
  const mean = values.length === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / values.length
  return {
    count: values.length,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    mean,
  }
}

/** `order` rotated left by `round` places: each round starts with another path. */
export function rotate<T>(order: readonly T[], round: number): T[] {
  const n = order.length
  if (n === 0) return []
  const shift = ((round % n) + n) % n
  return [...order.slice(shift), ...order.slice(0, shift)]
}
