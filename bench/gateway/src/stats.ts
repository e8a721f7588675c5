// Small statistics for the benchmark: percentiles of latency samples and the overhead line.

/**
 * The p-th percentile (0..100) of ascending `sorted` values, interpolated linearly between the two
 * nearest ranks (numpy's default). NaN for no values.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  if (p < 0 || p > 100) throw new RangeError(`percentile ${p} is outside 0..100`)
  const rank = (p / 100) * (sorted.length - 1)
  const low = Math.floor(rank)
  const a = sorted[low] as number
  const b = sorted[Math.ceil(rank)] as number
  return a + (b - a) * (rank - low)
}

/** What one path measured over all its segments. */
export interface PathResult {
  /** Latency of each request, in milliseconds. */
  latenciesMs: number[]
  requests: number
  /** Wall time of all its segments together, in milliseconds. */
  elapsedMs: number
}

export interface PathSummary {
  requests: number
  p50Ms: number
  p99Ms: number
  /** Requests per second over its segments. */
  rps: number
}

export function summarize(result: PathResult): PathSummary {
  const sorted = Float64Array.from(result.latenciesMs).sort()
  const values = Array.from(sorted)
  return {
    requests: result.requests,
    p50Ms: percentile(values, 50),
    p99Ms: percentile(values, 99),
    rps: result.requests / (result.elapsedMs / 1000),
  }
}

/**
 * The benchmark's last line: latency added by the gateway at p50 and p99 (from the sequential
 * phase, where a request waits for nothing but itself) and the throughput through the gateway as
 * a fraction of the direct one (from the concurrent phase).
 */
export function overheadLine(
  latency: { direct: PathSummary; gateway: PathSummary },
  throughput: { direct: PathSummary; gateway: PathSummary },
): string {
  const added = (a: number, b: number) => (a - b).toFixed(3)
  return [
    'gateway-overhead',
    `added_p50_ms=${added(latency.gateway.p50Ms, latency.direct.p50Ms)}`,
    `added_p99_ms=${added(latency.gateway.p99Ms, latency.direct.p99Ms)}`,
    `throughput_ratio=${(throughput.gateway.rps / throughput.direct.rps).toFixed(3)}`,
  ].join(' ')
}
