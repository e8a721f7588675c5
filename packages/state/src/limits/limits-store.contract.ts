import { describe, expect, test } from 'vitest'
import type { SharedState } from '../shared-state.ts'
import { openClients, type StateFixture } from '../state-fixture.ts'
import type { AdmitRequest, BudgetLimit, FinishRequest, RateLimit } from './limits-store.ts'
import { secondsPerWindow } from './limits-store.ts'

const windowMs = 60_000
const secondMs = windowMs / secondsPerWindow
const holdTtlMs = 900_000
const ledgerTtlMs = 86_400_000
// Calls take "now" from the caller: a fake clock drives the windows, on a real Redis as well.
const start = Date.UTC(2025, 5, 15, 12, 0, 0)

let ids = 0
function admitRequest(
  now: number,
  rates: readonly RateLimit[],
  budgets: readonly BudgetLimit[] = [],
  asked: { tokens?: number; costMicros?: number } = {},
): AdmitRequest {
  return {
    now,
    windowMs,
    reservationId: `r${ids++}`,
    tokens: asked.tokens ?? 10,
    costMicros: asked.costMicros ?? 100,
    holdTtlMs,
    rates,
    budgets,
    ledgerTtlMs: budgets.map(() => ledgerTtlMs),
  }
}

function finishRequest(
  admit: AdmitRequest,
  now: number,
  actualTokens: number,
  spentMicros: number,
): FinishRequest {
  return {
    now,
    reservationId: admit.reservationId,
    admittedAt: admit.now,
    estimatedTokens: admit.tokens,
    actualTokens,
    spentMicros,
    windowMs,
    rates: admit.rates,
    budgets: admit.budgets,
    ledgerTtlMs: admit.ledgerTtlMs,
  }
}

/**
 * What every LimitsStore must do: sliding-window rate limits and budget holds, checked together,
 * atomic across replicas. (The llm-router's limits.contract.ts adds its policy on top: 429s,
 * scopes, config.)
 */
export function limitsStoreContract(name: string, createFixture: () => Promise<StateFixture>): void {
  describe(`LimitsStore contract: ${name}`, () => {
    const one = async (): Promise<SharedState['limits']> => (await openClients(createFixture, 1))[0].limits

    test('rpm requests are admitted per window; the next waits until the oldest second leaves', async () => {
      const limits = await one()
      const rate = { key: 'rl:{o:a}:key:k1', rpm: 3, tpm: -1 }
      for (let i = 0; i < rate.rpm; i++)
        expect(await limits.admit(admitRequest(start + i * secondMs, [rate]))).toEqual({ admitted: true })
      const late = start + 10 * secondMs
      expect(await limits.admit(admitRequest(late, [rate]))).toEqual({
        admitted: false,
        rate: [
          {
            scope: 0,
            kind: 'rpm',
            retryAfterMs: windowMs - (late - start),
            limit: rate.rpm,
            inUse: rate.rpm,
          },
        ],
      })
      // Once the first second has left the window, one more fits.
      expect(await limits.admit(admitRequest(start + windowMs, [rate]))).toEqual({ admitted: true })
    })

    test('tokens count the estimate until finish puts the actual count in its place', async () => {
      const limits = await one()
      const rate = { key: 'rl:{o:a}:key:k2', rpm: -1, tpm: 100 }
      const first = admitRequest(start, [rate], [], { tokens: 80 })
      expect(await limits.admit(first)).toEqual({ admitted: true })
      const refused = await limits.admit(admitRequest(start + secondMs, [rate], [], { tokens: 30 }))
      expect(refused).toMatchObject({ admitted: false, rate: [{ kind: 'tpm', inUse: 80, limit: 100 }] })
      await limits.finish(finishRequest(first, start + secondMs, 20, 0))
      expect(await limits.admit(admitRequest(start + secondMs, [rate], [], { tokens: 30 }))).toEqual({
        admitted: true,
      })
      // More than the limit on its own never fits: no wait helps.
      expect(await limits.admit(admitRequest(start + secondMs, [rate], [], { tokens: 101 }))).toMatchObject({
        rate: [{ kind: 'tpm', retryAfterMs: null }],
      })
    })

    test('a refused request counts nowhere: a budget refusal leaves the rate logs untouched', async () => {
      const limits = await one()
      const rate = { key: 'rl:{o:a}:key:k3', rpm: 1, tpm: -1 }
      const budget = { key: 'budget:{o:a}:key:k3:day:2025-06-15', limitMicros: 50 }
      expect(await limits.admit(admitRequest(start, [rate], [budget], { costMicros: 60 }))).toEqual({
        admitted: false,
        budget: [{ scope: 0, spent: 0, reserved: 0, limit: 50 }],
      })
      expect(await limits.secondsHeld(rate.key)).toBe(0)
      expect(await limits.admit(admitRequest(start, [rate], [budget], { costMicros: 50 }))).toEqual({
        admitted: true,
      })
    })

    test('holds count until settled or released, and stop counting once they expire', async () => {
      const limits = await one()
      const budget = { key: 'budget:{o:a}:user:u1:day:2025-06-15', limitMicros: 1_000 }
      const settled = admitRequest(start, [], [budget], { costMicros: 600 })
      expect(await limits.admit(settled)).toEqual({ admitted: true })
      expect(await limits.admit(admitRequest(start, [], [budget], { costMicros: 600 }))).toEqual({
        admitted: false,
        budget: [{ scope: 0, spent: 0, reserved: 600, limit: 1_000 }],
      })
      await limits.finish(finishRequest(settled, start, 10, 250))
      const released = admitRequest(start, [], [budget], { costMicros: 700 })
      expect(await limits.admit(released)).toEqual({ admitted: true })
      await limits.finish(finishRequest(released, start, 0, -1))
      const forgotten = admitRequest(start, [], [budget], { costMicros: 750 })
      expect(await limits.admit(forgotten)).toEqual({ admitted: true })
      // Never finished (its router died): the hold stops counting after holdTtlMs.
      expect(
        await limits.admit(admitRequest(start + holdTtlMs - 1, [], [budget], { costMicros: 1 })),
      ).toMatchObject({
        budget: [{ spent: 250, reserved: 750 }],
      })
      expect(await limits.admit(admitRequest(start + holdTtlMs, [], [budget], { costMicros: 750 }))).toEqual({
        admitted: true,
      })
    })

    test('a busy scope holds a window of seconds, however many requests it admits', async () => {
      const limits = await one()
      const rate = { key: 'rl:{o:a}:org:busy', rpm: 1_000_000, tpm: -1 }
      // A request every 50 ms for two and a half windows.
      const stepMs = 50
      for (let t = start; t < start + 2.5 * windowMs; t += stepMs) {
        const request = admitRequest(t, [rate])
        expect(await limits.admit(request)).toEqual({ admitted: true })
        await limits.finish(finishRequest(request, t, 5, 0))
      }
      const held = await limits.secondsHeld(rate.key)
      expect(held).toBeGreaterThanOrEqual(secondsPerWindow - 1)
      expect(held).toBeLessThanOrEqual(secondsPerWindow + 1)
    })

    test('replicas admitting at once admit exactly rpm and hold exactly what a budget allows', async () => {
      const [a, b] = await openClients(createFixture, 2)
      if (b === undefined) throw new Error('fixture opened fewer than two clients')
      const rate = { key: 'rl:{o:c}:key:shared', rpm: 20, tpm: -1 }
      const budget = { key: 'budget:{o:c}:org:c:day:2025-06-15', limitMicros: 1_500 }
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 === 0 ? a : b).limits.admit(admitRequest(start, [rate], [budget], { costMicros: 100 })),
        ),
      )
      const admittedCount = results.filter((r) => r.admitted).length
      expect(admittedCount).toBe(Math.min(rate.rpm, Math.floor(budget.limitMicros / 100)))
    })
  })
}
