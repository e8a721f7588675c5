import type { Strategy } from '../catalog/schema.ts'
import type { DeploymentState } from './router.ts'

/** Chooses one of `candidates` (never empty; all usable right now). */
export type Pick = (candidates: readonly DeploymentState[]) => DeploymentState

/**
 * Smooth weighted round robin (nginx's): over any run of sum(weights) picks on a stable set, each
 * deployment is chosen exactly `weight` times, spread out rather than in bursts.
 */
export const weightedRoundRobin: Pick = (candidates) => {
  let total = 0
  let best = candidates[0] as DeploymentState
  for (const c of candidates) {
    c.currentWeight += c.deployment.weight
    total += c.deployment.weight
    if (c.currentWeight > best.currentWeight) best = c
  }
  best.currentWeight -= total
  return best
}

/** Fewest requests in flight; ties share by weight. */
export const leastInFlight: Pick = (candidates) => {
  let min = Number.POSITIVE_INFINITY
  for (const c of candidates) if (c.inFlight < min) min = c.inFlight
  const idle = candidates.filter((c) => c.inFlight === min)
  return idle.length === 1 ? (idle[0] as DeploymentState) : weightedRoundRobin(idle)
}

/**
 * Lowest EWMA of time to first token. A deployment with no sample yet goes first, so that every
 * deployment gets measured; ties share by weight.
 */
export const lowestLatency: Pick = (candidates) => {
  const unmeasured = candidates.filter((c) => c.ttftEwmaMs === undefined)
  if (unmeasured.length > 0) return weightedRoundRobin(unmeasured)
  let best = candidates[0] as DeploymentState
  for (const c of candidates) if ((c.ttftEwmaMs as number) < (best.ttftEwmaMs as number)) best = c
  return best
}

export const strategies: Record<Strategy, Pick> = {
  'weighted-round-robin': weightedRoundRobin,
  'least-in-flight': leastInFlight,
  'lowest-latency': lowestLatency,
}
