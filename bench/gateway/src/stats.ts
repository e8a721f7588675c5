// The gateway bench's summaries and its overhead line.
import { summarize as summarizeSamples } from '@switchyard/bench-router/stats'

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
  const { p50, p99 } = summarizeSamples(result.latenciesMs)
  return {
    requests: result.requests,
    p50Ms: p50,
    p99Ms: p99,
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
