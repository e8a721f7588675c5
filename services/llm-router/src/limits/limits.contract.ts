import type { Identity } from '@switchyard/contracts'
import { isServiceError, type ServiceError } from '@switchyard/kit'
import type { SharedState } from '@switchyard/state'
import type { StateFixture } from '@switchyard/state/fixtures'
import { describe, expect, onTestFinished, test } from 'vitest'
import type { Pricing } from '../catalog/schema.ts'
import type { AdmissionRequest, AdmissionTicket } from '../pipeline/admission.ts'
import {
  createAdmission,
  inFlightRetryMs,
  type LimitsAdmission,
  rateWindowMs,
  worstCaseMicros,
} from './admission.ts'
import type { LimitsSpec } from './config.ts'
import { rateKey } from './keys.ts'

export const identity = (orgId: string, userId: string, keyId: string | null): Identity => ({
  orgId,
  userId,
  keyId,
  scopes: [],
})

/** Dollars per million tokens: micro-dollars per token. */
export const pricing: Pricing = { inputPerMillion: 2, outputPerMillion: 10 }

export function chat(who: Identity, promptTokens: number, maxTokens: number | null): AdmissionRequest {
  return { identity: who, alias: 'test-model', operation: 'chat', promptTokens, maxTokens, pricing }
}

/** The 429 an admission threw, or a failed expectation when it admitted. */
export async function rejection(admitted: AdmissionTicket | Promise<AdmissionTicket>): Promise<ServiceError> {
  try {
    await admitted
  } catch (error) {
    if (isServiceError(error)) return error
    throw error
  }
  throw new Error('expected the request to be rejected, it was admitted')
}

const retryAfter = (error: ServiceError) => error.headers?.['retry-after']

const secondsHeader = (ms: number) => String(Math.ceil(ms / 1000))

/**
 * What rate limits and budgets must do on every SharedState: the memory one (unit) and Redis
 * (integration). A fake clock drives the windows; the scripts take "now" as an argument, so it
 * works the same on a real Redis.
 */
export function limitsContract(name: string, createFixture: () => Promise<StateFixture>): void {
  describe(`limits contract: ${name}`, () => {
    const start = Date.UTC(2025, 5, 15, 12, 0, 0)

    async function setup(config: LimitsSpec, replicas = 1) {
      const fixture = await createFixture()
      const clock = { t: start }
      const states: SharedState[] = []
      const admissions: LimitsAdmission[] = []
      for (let i = 0; i < replicas; i++) {
        const state = await fixture.open()
        states.push(state)
        admissions.push(createAdmission({ store: state.limits, config, now: () => clock.t }))
      }
      onTestFinished(async () => {
        for (const a of admissions) await a.drain()
        for (const s of states) await s.close()
        await fixture.cleanup?.()
      })
      const [admission] = admissions
      if (admission === undefined) throw new Error('no replica')
      return { admission, admissions, clock }
    }

    const alice = identity('acme', 'alice', 'key-a1')
    const aliceOtherKey = identity('acme', 'alice', 'key-a2')
    const bob = identity('acme', 'bob', 'key-b1')
    const carol = identity('globex', 'carol', 'key-c1')

    test('a request no limit or budget applies to is admitted without touching the state', async () => {
      const { admission } = await setup({ limits: { orgs: { globex: { rpm: 1 } } } })
      const ticket = admission.admit(chat(alice, 10, 10))
      expect(ticket).not.toBeInstanceOf(Promise)
    })

    describe('requests per minute', () => {
      // For each scope: who shares the limit with alice and who does not.
      const cases = [
        { scope: 'key', id: 'key-a1', sharing: null, separate: aliceOtherKey },
        { scope: 'user', id: 'alice', sharing: aliceOtherKey, separate: bob },
        { scope: 'org', id: 'acme', sharing: bob, separate: carol },
      ] as const
      for (const { scope, id, sharing, separate } of cases) {
        test(`the ${scope} limit admits rpm requests per window and names itself when it rejects`, async () => {
          const rpm = 3
          const { admission, clock } = await setup({ limits: { defaults: { [scope]: { rpm } } } })
          const admittedAt: number[] = []
          for (let i = 0; i < rpm; i++) {
            const who = i === 1 && sharing !== null ? sharing : alice
            await admission.admit(chat(who, 10, 10))
            admittedAt.push(clock.t)
            clock.t += 10_000
          }
          const error = await rejection(admission.admit(chat(alice, 10, 10)))
          expect(error.statusCode).toBe(429)
          expect(error.code).toBe('LLM_ROUTER_ERR_RATE_LIMITED')
          expect(error.type).toBe('rate_limit_error')
          expect(error.message).toContain(`${scope} ${id}`)
          expect(error.message).toContain(`${rpm} requests per minute`)
          // The next slot opens when the oldest admitted request leaves the window.
          const oldest = admittedAt[0] ?? 0
          expect(retryAfter(error)).toBe(secondsHeader(oldest + rateWindowMs - clock.t))
          // Someone outside the scope is not held by it.
          await admission.admit(chat(separate, 10, 10))
        })
      }

      test('the window slides: one slot opens as each old request leaves, not all at once', async () => {
        const { admission, clock } = await setup({ limits: { defaults: { key: { rpm: 2 } } } })
        const first = clock.t
        await admission.admit(chat(alice, 1, 1))
        clock.t += 30_000
        await admission.admit(chat(alice, 1, 1))
        clock.t = first + rateWindowMs - 1
        await rejection(admission.admit(chat(alice, 1, 1)))
        clock.t = first + rateWindowMs
        await admission.admit(chat(alice, 1, 1))
        // The second request is still in the window: a fixed window would have reset both.
        const error = await rejection(admission.admit(chat(alice, 1, 1)))
        expect(retryAfter(error)).toBe(secondsHeader(first + 30_000 + rateWindowMs - clock.t))
      })

      test('a replica whose clock runs ahead never makes another ask for a wait past the window', async () => {
        const skewMs = 5_000
        // Refused by the count, then by the tokens: either way the oldest entry is in the future.
        for (const [limit, request] of [
          [{ rpm: 1 }, chat(alice, 1, 1)],
          [{ rpm: 100, tpm: 100 }, chat(alice, 30, 20)],
        ] as const) {
          const fixture = await createFixture()
          const states = [await fixture.open(), await fixture.open()]
          const config = { limits: { defaults: { key: limit } } }
          const [ahead, behind] = states.map((state, i) =>
            createAdmission({ store: state.limits, config, now: () => (i === 0 ? start + skewMs : start) }),
          )
          onTestFinished(async () => {
            for (const s of states) await s.close()
            await fixture.cleanup?.()
          })
          await ahead?.admit(chat(alice, 50, 10))
          const error = await rejection(behind?.admit(request) ?? Promise.resolve(undefined as never))
          expect(retryAfter(error)).toBe(secondsHeader(rateWindowMs))
        }
      })

      test('a busy scope holds a window of one-second buckets, not an entry per request', async () => {
        const fixture = await createFixture()
        const state = await fixture.open()
        onTestFinished(async () => {
          await state.close()
          await fixture.cleanup?.()
        })
        let t = start
        const config = { limits: { defaults: { key: { rpm: 1_000_000, tpm: 1_000_000_000 } } } }
        const admission = createAdmission({ store: state.limits, config, now: () => t })
        // 3 000 requests over 150 s: two and a half windows.
        const stepMs = 50
        for (let i = 0; i < 3_000; i++) {
          const ticket = await admission.admit(chat(alice, 10, 10))
          ticket.settle(0, { input: 5, output: 5 })
          t += stepMs
        }
        await admission.drain()
        const perWindow = rateWindowMs / 1_000
        // A request every 50 ms: every second of the last window has its bucket, and no more.
        const held = await state.limits.secondsHeld(rateKey(alice.orgId, 'key', alice.keyId ?? ''))
        expect(held).toBeGreaterThanOrEqual(perWindow - 1)
        expect(held).toBeLessThanOrEqual(perWindow + 1)
        // What the window holds is what the last minute admitted, at the settled 10 tokens each.
        const error = await rejection(
          createAdmission({
            store: state.limits,
            config: { limits: { defaults: { key: { rpm: 1 } } } },
            now: () => t,
          }).admit(chat(alice, 1, 1)),
        )
        expect(error.message).toContain('1 requests per minute')
      })

      test('a rejected request counts nowhere: a limit that fails in one scope counts in none', async () => {
        const { admission } = await setup({
          limits: { defaults: { key: { rpm: 2 } }, users: { alice: { rpm: 3 } } },
        })
        await admission.admit(chat(alice, 1, 1))
        await admission.admit(chat(alice, 1, 1))
        for (let i = 0; i < 5; i++) await rejection(admission.admit(chat(alice, 1, 1)))
        // Had the key's rejections counted for the user, alice's other key would be held too.
        await admission.admit(chat(aliceOtherKey, 1, 1))
        const error = await rejection(admission.admit(chat(aliceOtherKey, 1, 1)))
        expect(error.message).toContain('user alice')
      })

      test('when several scopes are over, the one that clears last is reported', async () => {
        const { admission, clock } = await setup({
          limits: { defaults: { key: { rpm: 1 } }, orgs: { acme: { rpm: 2 } } },
        })
        await admission.admit(chat(bob, 1, 1))
        clock.t += 20_000
        const aliceAt = clock.t
        await admission.admit(chat(alice, 1, 1))
        clock.t += 5_000
        // Key: clears at aliceAt + window. Org: needs bob's (older) request gone, which is sooner
        // than alice's, so the key binds.
        const error = await rejection(admission.admit(chat(alice, 1, 1)))
        expect(error.message).toContain('key key-a1')
        expect(retryAfter(error)).toBe(secondsHeader(aliceAt + rateWindowMs - clock.t))
      })
    })

    describe('tokens per minute', () => {
      test('prompt plus max_tokens is counted up front, and a request over what is left waits', async () => {
        const tpm = 1000
        const { admission, clock } = await setup({ limits: { defaults: { org: { tpm } } } })
        const sizes = [300, 300, 300]
        const at: number[] = []
        for (const size of sizes) {
          await admission.admit(chat(alice, size / 2, size / 2))
          at.push(clock.t)
          clock.t += 5_000
        }
        const asking = 500
        const error = await rejection(admission.admit(chat(bob, asking - 100, 100)))
        const used = sizes.reduce((a, b) => a + b, 0)
        expect(error.message).toContain(`${tpm} tokens per minute, ${used} used`)
        // It fits once enough of the oldest have left: 900 + 500 - 1000 = 400 tokens, two requests.
        let freed = 0
        let clearsAt = 0
        for (const [i, size] of sizes.entries()) {
          freed += size
          clearsAt = at[i] ?? 0
          if (freed >= used + asking - tpm) break
        }
        expect(retryAfter(error)).toBe(secondsHeader(clearsAt + rateWindowMs - clock.t))
        // And it is admitted at exactly that time.
        clock.t = clearsAt + rateWindowMs
        await admission.admit(chat(bob, asking - 100, 100))
      })

      test('settle replaces the estimate by the actual tokens, release by none', async () => {
        const tpm = 1000
        const { admission } = await setup({ limits: { defaults: { user: { tpm, rpm: 10 } } } })
        const big = await admission.admit(chat(alice, 200, 800))
        await rejection(admission.admit(chat(alice, 100, 100)))
        big.settle(0, { input: 200, output: 100 })
        await admission.drain()
        // 300 used: 700 fit, 701 do not.
        const fits = await admission.admit(chat(alice, 300, 400))
        await rejection(admission.admit(chat(alice, 1, 0)))
        fits.release()
        await admission.drain()
        await admission.admit(chat(alice, 300, 400))
      })

      test('a request larger than the limit itself is told so, with no Retry-After', async () => {
        const { admission } = await setup({ limits: { defaults: { key: { tpm: 1000 } } } })
        const error = await rejection(admission.admit(chat(alice, 600, 401)))
        expect(error.message).toMatch(/Request too large for key key-a1: it may use up to 1001 tokens/)
        expect(retryAfter(error)).toBeUndefined()
      })

      test('a request over its tpm does not count against rpm, and the reverse', async () => {
        const { admission } = await setup({ limits: { defaults: { key: { rpm: 2, tpm: 100 } } } })
        await admission.admit(chat(alice, 40, 40))
        await rejection(admission.admit(chat(alice, 40, 40)))
        await rejection(admission.admit(chat(alice, 40, 40)))
        await admission.admit(chat(alice, 10, 10))
        const error = await rejection(admission.admit(chat(alice, 1, 1)))
        expect(error.message).toContain('2 requests per minute')
      })

      test('a chat request without max_tokens is counted at the configured assumption', async () => {
        const { admission } = await setup({
          limits: { defaults: { key: { tpm: 1000 } } },
          unboundedMaxTokens: 500,
        })
        await admission.admit(chat(alice, 100, null))
        await admission.admit(chat(alice, 100, 300))
        await rejection(admission.admit(chat(alice, 1, null)))
      })
    })

    describe('budgets', () => {
      // Worst case of one request: 1000 prompt tokens + 500 max tokens at the test prices.
      const cost = worstCaseMicros(pricing, 1000, 500)
      const usd = (micros: number) => micros / 1_000_000

      test('reserve holds the worst case; while others are in flight the wait is short', async () => {
        const { admission } = await setup({
          budgets: { orgs: { acme: { amountUsd: usd(cost * 2.5), period: 'month' } } },
        })
        await admission.admit(chat(alice, 1000, 500))
        await admission.admit(chat(bob, 1000, 500))
        const error = await rejection(admission.admit(chat(alice, 1000, 500)))
        expect(error.code).toBe('LLM_ROUTER_ERR_BUDGET_EXCEEDED')
        expect(error.statusCode).toBe(429)
        expect(error.type).toBe('rate_limit_error')
        expect(error.message).toContain('org acme')
        expect(error.message).toContain('reserved by requests in flight')
        expect(retryAfter(error)).toBe(secondsHeader(inFlightRetryMs))
      })

      test('settle replaces the reservation by the actual cost', async () => {
        const { admission } = await setup({
          budgets: { defaults: { user: { amountUsd: usd(cost * 2.5), period: 'day' } } },
        })
        const first = await admission.admit(chat(alice, 1000, 500))
        await admission.admit(chat(alice, 1000, 500))
        await rejection(admission.admit(chat(alice, 1000, 500)))
        const actual = Math.floor(cost / 4)
        first.settle(usd(actual), { input: 1000, output: 50 })
        await admission.drain()
        // actual + 2 holds fit in 2.5 costs; a third hold would not.
        await admission.admit(chat(alice, 1000, 500))
        await rejection(admission.admit(chat(alice, 1000, 500)))
      })

      test('spend that leaves no room waits for the next period, which starts empty', async () => {
        const { admission, clock } = await setup({
          budgets: { keys: { 'key-a1': { amountUsd: usd(cost * 1.5), period: 'month' } } },
        })
        clock.t = Date.UTC(2025, 5, 30, 23, 59, 0)
        const ticket = await admission.admit(chat(alice, 1000, 500))
        ticket.settle(usd(cost), { input: 1000, output: 500 })
        await admission.drain()
        const error = await rejection(admission.admit(chat(alice, 1000, 500)))
        expect(error.message).toContain('key key-a1')
        expect(error.message).toContain('The budget resets at 2025-07-01T00:00:00.000Z')
        expect(retryAfter(error)).toBe(secondsHeader(Date.UTC(2025, 6, 1) - clock.t))
        clock.t = Date.UTC(2025, 6, 1)
        await admission.admit(chat(alice, 1000, 500))
      })

      test('release gives the whole reservation back and spends nothing', async () => {
        const { admission } = await setup({
          budgets: { defaults: { org: { amountUsd: usd(cost), period: 'day' } } },
        })
        for (let i = 0; i < 3; i++) {
          const ticket = await admission.admit(chat(alice, 1000, 500))
          await rejection(admission.admit(chat(alice, 1000, 500)))
          ticket.release()
          await admission.drain()
        }
      })

      test('a reservation never settled expires, so a crashed router does not hold money forever', async () => {
        const reservationTtlMs = 120_000
        const { admission, clock } = await setup({
          budgets: { defaults: { org: { amountUsd: usd(cost), period: 'month' } } },
          reservationTtlMs,
        })
        const start = clock.t
        const lost = await admission.admit(chat(alice, 1000, 500)) // its router "crashes": no settle
        clock.t = start + reservationTtlMs - 1
        await rejection(admission.admit(chat(alice, 1000, 500)))
        clock.t = start + reservationTtlMs
        const next = await admission.admit(chat(alice, 1000, 500))
        next.release()
        // A settle that comes after its hold expired still spends: the money is gone either way.
        lost.settle(usd(cost), { input: 1000, output: 500 })
        await admission.drain()
        await rejection(admission.admit(chat(alice, 1, 1)))
      })

      test('a reservation is all-or-nothing across org, user and key budgets', async () => {
        const { admission } = await setup({
          budgets: {
            orgs: { acme: { amountUsd: usd(cost * 3), period: 'month' } },
            users: { alice: { amountUsd: usd(cost), period: 'day' } },
          },
        })
        await admission.admit(chat(alice, 1000, 500))
        for (let i = 0; i < 4; i++) {
          const error = await rejection(admission.admit(chat(alice, 1000, 500)))
          expect(error.message).toContain('user alice')
        }
        // alice's rejections reserved nothing at the org: two more fit there, not three.
        await admission.admit(chat(bob, 1000, 500))
        await admission.admit(chat(bob, 1000, 500))
        const error = await rejection(admission.admit(chat(bob, 1000, 500)))
        expect(error.message).toContain('org acme')
      })

      test('a request the budget rejects is not counted by the rate limits either', async () => {
        const { admission } = await setup({
          limits: { defaults: { key: { rpm: 1 } } },
          budgets: { defaults: { key: { amountUsd: usd(cost), period: 'day' } } },
        })
        await rejection(admission.admit(chat(alice, 1000, 501)))
        await admission.admit(chat(alice, 1000, 500))
      })

      test('a request whose worst case is over the budget itself gets no Retry-After', async () => {
        const { admission } = await setup({
          budgets: { defaults: { key: { amountUsd: usd(cost - 1), period: 'day' } } },
        })
        const error = await rejection(admission.admit(chat(alice, 1000, 500)))
        expect(error.message).toContain('may cost up to')
        expect(error.message).toContain('on its own')
        expect(retryAfter(error)).toBeUndefined()
      })

      test('amounts add up to the micro-dollar: ten settles of $0.1 spend exactly $1', async () => {
        const free: Pricing = { inputPerMillion: 0, outputPerMillion: 0 }
        const { admission } = await setup({ budgets: { defaults: { org: { amountUsd: 1, period: 'day' } } } })
        for (let i = 0; i < 10; i++) {
          const ticket = await admission.admit({ ...chat(alice, 1, 1), pricing: free })
          ticket.settle(0.1, { input: 1, output: 1 })
        }
        await admission.drain()
        // Exactly at the limit: a free request still fits, one costing a micro-dollar does not.
        await admission.admit({ ...chat(alice, 1, 1), pricing: free })
        const micro: Pricing = { inputPerMillion: 1, outputPerMillion: 0 }
        await rejection(admission.admit({ ...chat(alice, 1, 0), pricing: micro }))
      })

      test('a ticket ends once: a second settle or release is ignored', async () => {
        const { admission } = await setup({
          budgets: { defaults: { org: { amountUsd: usd(cost * 2), period: 'day' } } },
        })
        const ticket = await admission.admit(chat(alice, 1000, 500))
        ticket.settle(usd(cost), { input: 1000, output: 500 })
        ticket.settle(usd(cost), { input: 1000, output: 500 })
        ticket.release()
        await admission.drain()
        await admission.admit(chat(alice, 1000, 500))
      })
    })

    test('replaceConfig takes effect on the next request; an invalid one is refused whole', async () => {
      const { admission } = await setup({ limits: { defaults: { key: { rpm: 1 } } } })
      await admission.admit(chat(alice, 1, 1))
      await rejection(admission.admit(chat(alice, 1, 1)))
      admission.replaceConfig({ limits: { defaults: { key: { rpm: 2 } } } })
      await admission.admit(chat(alice, 1, 1))
      expect(() => admission.replaceConfig({ limits: { defaults: { key: { rpm: 0, burst: 1 } } } })).toThrow(
        /Invalid limits/,
      )
      await rejection(admission.admit(chat(alice, 1, 1)))
    })

    test('replicas sharing the store admit exactly rpm requests out of 50 concurrent ones', async () => {
      const rpm = 20
      const { admissions } = await setup({ limits: { defaults: { org: { rpm } } } }, 2)
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, async (_, i) =>
          (admissions[i % 2] as LimitsAdmission).admit(chat(i % 3 === 0 ? alice : bob, 100, 100)),
        ),
      )
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(rpm)
      for (const r of results)
        if (r.status === 'rejected') expect((r.reason as ServiceError).statusCode).toBe(429)
    })

    test('replicas sharing the store reserve exactly what a budget holds out of 50 concurrent requests', async () => {
      const perRequest = worstCaseMicros(pricing, 100, 100)
      const budgetMicros = Math.floor(perRequest * 7.5)
      const { admissions } = await setup(
        { budgets: { users: { alice: { amountUsd: budgetMicros / 1_000_000, period: 'day' } } } },
        2,
      )
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, async (_, i) =>
          (admissions[i % 2] as LimitsAdmission).admit(chat(alice, 100, 100)),
        ),
      )
      const tickets = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
      expect(tickets).toHaveLength(Math.floor(budgetMicros / perRequest))
      for (const r of results)
        if (r.status === 'rejected')
          expect((r.reason as ServiceError).code).toBe('LLM_ROUTER_ERR_BUDGET_EXCEEDED')
    })
  })
}
