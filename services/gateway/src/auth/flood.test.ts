import { randomBytes } from 'node:crypto'
import { jsonBody, KEY_RESOLUTION_PATH } from '@switchyard/testing'
import { expect, test } from 'vitest'
import { startGateway, withKey } from '../gateway-under-test.ts'

const failuresPerIp = 20
const lookupsInFlight = 4
const flood = 200

test('a flood of random keys is refused without reaching admin, and valid keys still answer 200', async () => {
  const gateway = await startGateway({
    GATEWAY_AUTH_FAILURES_PER_IP: failuresPerIp,
    GATEWAY_KEY_LOOKUPS_IN_FLIGHT: lookupsInFlight,
  })
  const valid = [withKey(gateway), withKey(gateway), withKey(gateway)]
  const call = (authorization: string) =>
    fetch(`${gateway.url}/v1/conversations`, { headers: { authorization } })
  for (const caller of valid) expect((await call(caller.headers.authorization)).status).toBe(200)
  const validLookups = gateway.lookups().length

  // The flood and the valid callers at once, from one address (as behind one NAT).
  const randomKey = () => `Bearer sy_${randomBytes(24).toString('base64url')}`
  const [refused, served] = await Promise.all([
    Promise.all(Array.from({ length: flood }, () => call(randomKey()))),
    Promise.all(
      Array.from({ length: 60 }, (_, i) => call(valid[i % valid.length]?.headers.authorization ?? '')),
    ),
  ])
  expect(served.map((res) => res.status)).toEqual(served.map(() => 200))
  const statuses = refused.map((res) => res.status)
  expect(statuses.every((status) => [401, 429, 503].includes(status))).toBe(true)
  const limited = refused.filter((res) => res.status === 429)
  expect(limited.length).toBeGreaterThan(0)
  expect(Number(limited[0]?.headers.get('retry-after'))).toBeGreaterThan(0)
  expect((await jsonBody(limited[0] as Response)).error.code).toBe('GATEWAY_ERR_AUTH_FAILURES')
  // Admin saw a bounded number of lookups: the failures allowed, plus those already in flight.
  const floodLookups = gateway.lookups().length - validLookups
  const count = (status: number) => statuses.filter((s) => s === status).length
  console.log(
    `gateway flood: ${flood} random keys -> ${count(401)} x 401, ${count(429)} x 429, ${count(503)} x 503; ` +
      `admin lookups ${floodLookups}; valid keys ${served.length}/${served.length} answered 200`,
  )
  expect(floodLookups).toBeLessThanOrEqual(failuresPerIp + 2 * lookupsInFlight)
  // Every lookup carried the same internal token: admin verifies it once, not once per random key.
  const tokens = new Set(gateway.lookups().map((lookup) => lookup.headers.authorization))
  expect(tokens.size).toBe(1)

  // The address stays refused for the window, credentials or not, before anything is looked up.
  const before = gateway.lookups().length
  const again = await call(randomKey())
  expect(again.status).toBe(429)
  expect((await call('Bearer')).status).toBe(429)
  expect(gateway.lookups().length).toBe(before)
  // A cached valid key is still served from that address.
  expect((await call(valid[0]?.headers.authorization ?? '')).status).toBe(200)
})

test('lookups past the cap in flight are a 503 with Retry-After, not a queue at admin', async () => {
  const gateway = await startGateway({ GATEWAY_KEY_LOOKUPS_IN_FLIGHT: 1, GATEWAY_AUTH_FAILURES_PER_IP: 0 })
  let release = () => {}
  const held = new Promise<void>((resolve) => {
    release = resolve
  })
  gateway.standIns.admin?.answer(async (request, res) => {
    if (request.url !== KEY_RESOLUTION_PATH) return
    await held
    res.writeHead(401, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: { message: 'no', type: 'x', code: 'ADMIN_ERR_INVALID_API_KEY' } }))
  })
  const call = (key: string) =>
    fetch(`${gateway.url}/v1/conversations`, { headers: { authorization: `Bearer ${key}` } })
  const first = call('sy_first_key_waiting_at_admin')
  await expect.poll(() => gateway.lookups().length).toBe(1)
  const second = await call('sy_second_key_over_the_cap')
  expect(second.status).toBe(503)
  expect(second.headers.get('retry-after')).toBe('1')
  expect((await jsonBody(second)).error.code).toBe('GATEWAY_ERR_AUTH_BUSY')
  release()
  expect((await first).status).toBe(401)
  expect(gateway.lookups().length).toBe(1)
})
