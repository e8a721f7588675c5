import { createMemoryState } from '@switchyard/state'
import { jsonBody } from '@switchyard/testing'
import { pino } from 'pino'
import { describe, expect, onTestFinished, test } from 'vitest'
import { startGateway, withKey } from '../gateway-under-test.ts'
import { fixedWindowStore } from './rate-limit.ts'

describe('rate limits', () => {
  test('per key: the limit passes with x-ratelimit headers counting down, the next is a 429 with Retry-After', async () => {
    const perKey = 3
    const windowMs = 60_000
    const gateway = await startGateway({
      GATEWAY_RATE_LIMIT_PER_KEY: perKey,
      GATEWAY_RATE_LIMIT_WINDOW_MS: windowMs,
    })
    const caller = withKey(gateway)
    for (let n = 1; n <= perKey; n++) {
      const res = await fetch(`${gateway.url}/v1/models`, { headers: caller.headers })
      expect(res.status).toBe(200)
      expect(res.headers.get('x-ratelimit-limit')).toBe(String(perKey))
      expect(res.headers.get('x-ratelimit-remaining')).toBe(String(perKey - n))
      expect(Number(res.headers.get('x-ratelimit-reset'))).toBeLessThanOrEqual(windowMs / 1000)
    }
    const limited = await fetch(`${gateway.url}/v1/models`, { headers: caller.headers })
    expect(limited.status).toBe(429)
    const retryAfter = Number(limited.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(windowMs / 1000 - 5)
    expect(retryAfter).toBeLessThanOrEqual(windowMs / 1000)
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(await jsonBody(limited)).toEqual({
      error: {
        type: 'rate_limit_error',
        message: `Rate limit of this API key exceeded; retry in ${retryAfter} s`,
        code: 'GATEWAY_ERR_RATE_LIMITED',
      },
    })
    // The refused request never reached the service.
    expect(gateway.standIns['llm-router']?.received).toHaveLength(perKey)
  })

  test('per org: keys of one org share its limit, another org is not affected, and the tighter limit is reported', async () => {
    const perOrg = 4
    const gateway = await startGateway({
      GATEWAY_RATE_LIMIT_PER_KEY: 100,
      GATEWAY_RATE_LIMIT_PER_ORG: perOrg,
    })
    const [a, b] = [withKey(gateway, { orgId: 'org_busy' }), withKey(gateway, { orgId: 'org_busy' })]
    const other = withKey(gateway, { orgId: 'org_quiet' })
    const statuses: number[] = []
    for (const caller of [a, b, a, b, a]) {
      const res = await fetch(`${gateway.url}/v1/models`, { headers: caller.headers })
      statuses.push(res.status)
      if (res.status === 200) expect(res.headers.get('x-ratelimit-limit')).toBe(String(perOrg))
      else expect((await jsonBody(res)).error.message).toMatch(/^Rate limit of this organization exceeded/)
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429])
    expect((await fetch(`${gateway.url}/v1/models`, { headers: other.headers })).status).toBe(200)
  })

  test('unauthenticated requests are refused before they count', async () => {
    const gateway = await startGateway({ GATEWAY_RATE_LIMIT_PER_KEY: 1 })
    const caller = withKey(gateway)
    for (let i = 0; i < 3; i++)
      expect(
        (await fetch(`${gateway.url}/v1/models`, { headers: { authorization: 'Bearer nope' } })).status,
      ).toBe(401)
    expect((await fetch(`${gateway.url}/v1/models`, { headers: caller.headers })).status).toBe(200)
  })

  test('the store counts hits on the shared fixed window and reports the reset', async () => {
    const state = createMemoryState()
    onTestFinished(() => state.close())
    const Store = fixedWindowStore(state.fixedWindows, pino({ level: 'silent' }))
    const store = new Store({})
    const incr = () =>
      new Promise<{ current: number; ttl: number }>((resolve, reject) =>
        store.incr(
          'k',
          (error, result) => (error ? reject(error) : resolve(result as { current: number; ttl: number })),
          1_000,
          2,
        ),
      )
    const results = [await incr(), await incr(), await incr()]
    expect(results.map((r) => r.current)).toEqual([1, 2, 3])
    for (const { ttl } of results) {
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(1_000)
    }
  })
})
