import { describe, expect, test } from 'vitest'
import type { Deployment } from '../catalog/schema.ts'
import type { UpstreamClient } from '../upstreams/provider.ts'
import { DeploymentState } from './router.ts'
import { leastInFlight, lowestLatency, weightedRoundRobin } from './strategies.ts'

const client: UpstreamClient = { close: async () => {} }

function state(id: string, weight: number): DeploymentState {
  const deployment: Deployment = {
    id,
    provider: 'openai',
    baseUrl: 'http://x/v1',
    model: id,
    apiKey: undefined,
    headers: {},
    weight,
    maxConcurrency: Number.POSITIVE_INFINITY,
    timeouts: { connectMs: 1, ttftMs: 1, idleMs: 1, totalMs: 1 },
    pricing: { inputPerMillion: 0, outputPerMillion: 0 },
    options: {},
  }
  return new DeploymentState(deployment, client)
}

function tally(picks: DeploymentState[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const pick of picks) counts[pick.deployment.id] = (counts[pick.deployment.id] ?? 0) + 1
  return counts
}

describe('weighted round robin', () => {
  test('over whole cycles each deployment gets exactly its weight’s share', () => {
    const weights = { a: 5, b: 3, c: 1 }
    const states = Object.entries(weights).map(([id, w]) => state(id, w))
    const total = Object.values(weights).reduce((s, w) => s + w, 0)
    const cycles = 7
    const picks = Array.from({ length: total * cycles }, () => weightedRoundRobin(states))
    expect(tally(picks)).toEqual(
      Object.fromEntries(Object.entries(weights).map(([id, w]) => [id, w * cycles])),
    )
    // Smooth: within any one cycle too, not in bursts of one deployment.
    const firstCycle = picks.slice(0, total)
    expect(tally(firstCycle)).toEqual(weights)
    const longestRun = firstCycle.reduce(
      (acc, pick, i) => {
        const run = i > 0 && firstCycle[i - 1] === pick ? acc.run + 1 : 1
        return { run, max: Math.max(acc.max, run) }
      },
      { run: 0, max: 0 },
    ).max
    expect(longestRun).toBeLessThan(weights.a)
  })
})

describe('least in flight', () => {
  test('picks the least busy deployment; ties share by weight', () => {
    const [a, b, c] = [state('a', 1), state('b', 1), state('c', 1)] as [
      DeploymentState,
      DeploymentState,
      DeploymentState,
    ]
    a.inFlight = 4
    b.inFlight = 1
    c.inFlight = 2
    expect(leastInFlight([a, b, c])).toBe(b)
    b.inFlight = 2
    const picks = Array.from({ length: 4 }, () => leastInFlight([a, b, c]))
    expect(tally(picks)).toEqual({ b: 2, c: 2 })
  })
})

describe('lowest latency', () => {
  test('measures every deployment first, then follows the lowest moving average of TTFT', () => {
    const [a, b] = [state('a', 1), state('b', 1)] as [DeploymentState, DeploymentState]
    a.observeTtft(100)
    expect(lowestLatency([a, b])).toBe(b)
    b.observeTtft(300)
    expect(lowestLatency([a, b])).toBe(a)
    // a slows down: the average moves by alpha per sample until b is the faster.
    let picksOfA = 0
    while (lowestLatency([a, b]) === a) {
      a.observeTtft(1_000)
      picksOfA++
    }
    const alpha = 0.3
    let ewma = 100
    let expected = 0
    while (ewma <= 300) {
      ewma += alpha * (1_000 - ewma)
      expected++
    }
    expect(picksOfA).toBe(expected)
  })
})
