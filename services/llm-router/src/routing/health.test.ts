import { createMemoryState } from '@switchyard/state'
import { pino } from 'pino'
import { describe, expect, onTestFinished, test } from 'vitest'
import { DeploymentHealth } from './health.ts'

function health(now: { t: number }, state = createMemoryState()) {
  onTestFinished(() => state.close())
  const policy = { baseMs: 1_000, maxMs: 16_000 }
  const h = new DeploymentHealth({
    values: state.values,
    logger: pino({ level: 'silent' }),
    cooldown: () => policy,
    now: () => now.t,
  })
  return { h, state, policy }
}

describe('passive health', () => {
  test('consecutive failures double the cooldown up to the ceiling', () => {
    const now = { t: 1_000_000 }
    const { h, policy } = health(now)
    const lengths = []
    for (let i = 0; i < 7; i++) {
      const entry = h.recordFailure('d', { rateLimited: false })
      lengths.push(entry.until - now.t)
      now.t = entry.until // the next failure comes right as the cooldown ends
    }
    expect(lengths).toEqual([0, 1, 2, 3, 4, 5, 6].map((n) => Math.min(policy.maxMs, policy.baseMs * 2 ** n)))
  })

  test('a new failure never shortens a running cooldown, here or in the shared state', async () => {
    const now = { t: 5_000_000 }
    const { h, state } = health(now)
    const retryAfterMs = 12_000
    const held = h.recordFailure('d', { rateLimited: true, retryAfterMs })
    expect(held.until).toBe(now.t + retryAfterMs)
    now.t += 100
    const after = h.recordFailure('d', { rateLimited: false })
    expect(after.until).toBe(held.until)
    expect(h.cooling('d')?.rateLimited).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 10))
    const shared = JSON.parse((await state.values.get('llm-router:health:d')) ?? '{}')
    expect(shared.until).toBe(held.until)
  })

  test('a 429 holds at least its Retry-After, and a success does not end that hold early', () => {
    const now = { t: 7_000_000 }
    const { h, policy } = health(now)
    const short = h.recordFailure('a', { rateLimited: true, retryAfterMs: 10 })
    expect(short.until - now.t).toBe(policy.baseMs)
    const long = h.recordFailure('b', { rateLimited: true, retryAfterMs: 9_000 })
    expect(long.until - now.t).toBe(9_000)
    h.recordSuccess('b')
    expect(h.cooling('b')?.until).toBe(long.until)
    h.recordFailure('c', { rateLimited: false })
    h.recordSuccess('c')
    expect(h.cooling('c')).toBeUndefined()
  })

  test('another replica’s cooldown arrives through the shared state', async () => {
    const now = { t: 9_000_000 }
    const state = createMemoryState()
    const one = health(now, state).h
    const two = health(now, state).h
    const entry = one.recordFailure('d', { rateLimited: false })
    await expect.poll(() => state.values.get('llm-router:health:d')).not.toBeNull()
    expect(two.cooling('d')).toBeUndefined()
    await two.sync(['d'])
    expect(two.cooling('d')?.until).toBe(entry.until)
  })
})
