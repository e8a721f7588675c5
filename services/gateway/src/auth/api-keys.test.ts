import type { KeyResolution } from '@switchyard/contracts'
import { fakeClock, jsonBody } from '@switchyard/testing'
import { describe, expect, test, vi } from 'vitest'
import { apiKey, startGateway, withKey } from '../gateway-under-test.ts'
import { createApiKeyCache, type KeyLookup } from './api-keys.ts'

const unauthenticated = (message: string) => ({
  error: { type: 'authentication_error', message, code: 'GATEWAY_ERR_UNAUTHENTICATED' },
})

describe('API keys through the gateway', () => {
  test('a valid key passes and is asked of admin once; admin sees a gateway token with just the resolve scope', async () => {
    const gateway = await startGateway()
    const caller = withKey(gateway)
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${gateway.url}/v1/models`, { headers: caller.headers })
      expect(res.status).toBe(200)
    }
    expect(gateway.lookups()).toHaveLength(1)
    expect(gateway.lookups()[0]?.identity).toEqual({
      orgId: 'platform',
      userId: 'gateway',
      keyId: null,
      scopes: ['internal:keys:resolve'],
    })
  })

  test('a key in x-api-key passes as a bearer would, and the services never see it', async () => {
    const gateway = await startGateway()
    const { key } = withKey(gateway)
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'x-api-key': key },
    })
    expect(res.status).toBe(200)
    const [received] = gateway.standIns['llm-router']?.received ?? []
    expect(received?.identity?.orgId).toBe('org_acme')
    expect(received?.headers['x-api-key']).toBeUndefined()
    expect(received?.headers.authorization).not.toContain(key)
  })

  test('x-api-key carries API keys only: a JWT there is no credential', async () => {
    const gateway = await startGateway()
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'
    const res = await fetch(`${gateway.url}/v1/models`, { headers: { 'x-api-key': jwt } })
    expect(res.status).toBe(401)
    expect(await jsonBody(res)).toEqual(
      unauthenticated('Missing credentials; send Authorization: Bearer <API key or token>'),
    )
  })

  test('concurrent requests with one uncached key make one lookup', async () => {
    const gateway = await startGateway()
    const caller = withKey(gateway)
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${gateway.url}/v1/models`, { headers: caller.headers }).then((res) => res.status),
      ),
    )
    expect(statuses).toEqual(Array(20).fill(200))
    expect(gateway.lookups()).toHaveLength(1)
  })

  test('missing, malformed, unknown and garbage credentials are 401s in the error shape', async () => {
    const gateway = await startGateway()
    const cases: [Record<string, string>, string][] = [
      [{}, 'Missing credentials; send Authorization: Bearer <API key or token>'],
      [
        { authorization: 'Basic dXNlcjpwYXNz' },
        'Malformed Authorization header; expected Bearer <API key or token>',
      ],
      [{ authorization: `Bearer ${apiKey().key}` }, 'Invalid API key'],
      [{ authorization: 'Bearer short' }, 'Invalid API key'],
      // A JWT, but no OIDC issuer is configured.
      [{ authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln' }, 'Invalid token'],
    ]
    for (const [headers, message] of cases) {
      const res = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers })
      expect(res.status, message).toBe(401)
      expect(await jsonBody(res)).toEqual(unauthenticated(message))
    }
    // Only the well-formed unknown key was looked up; nothing reached the router.
    expect(gateway.lookups()).toHaveLength(1)
    expect(gateway.standIns['llm-router']?.received).toEqual([])
  })

  test('an unknown key is refused from the negative cache until its TTL passes', async () => {
    const negativeTtlMs = 5_000
    const gateway = await startGateway({ GATEWAY_KEY_NEGATIVE_TTL_MS: negativeTtlMs })
    const { key, resolution } = apiKey()
    const call = () => fetch(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })
    expect((await call()).status).toBe(401)
    expect((await call()).status).toBe(401)
    expect(gateway.lookups()).toHaveLength(1)
    // admin learns of the key (it was just created): refused until the negative entry expires.
    gateway.keys.set(key, resolution)
    gateway.clock.advance(negativeTtlMs)
    expect((await call()).status).toBe(401)
    expect(gateway.lookups()).toHaveLength(1)
    gateway.clock.advance(1)
    expect((await call()).status).toBe(200)
    expect(gateway.lookups()).toHaveLength(2)
  })

  test('a key-revoked event on the bus stops a cached key at once, long before the cache TTL', async () => {
    const gateway = await startGateway({ GATEWAY_KEY_CACHE_TTL_MS: 600_000 })
    const caller = withKey(gateway)
    const other = withKey(gateway)
    for (const { headers } of [caller, other])
      expect((await fetch(`${gateway.url}/v1/models`, { headers })).status).toBe(200)
    gateway.keys.delete(caller.key)
    await gateway.revoke(caller.resolution)
    await vi.waitFor(
      async () =>
        expect((await fetch(`${gateway.url}/v1/models`, { headers: caller.headers })).status).toBe(401),
      { timeout: 1_000, interval: 10 },
    )
    // The other key of the org is untouched, still from the cache.
    expect((await fetch(`${gateway.url}/v1/models`, { headers: other.headers })).status).toBe(200)
    expect(gateway.lookups().filter((r) => r.body.includes(other.key))).toHaveLength(1)
  })

  test('a key is cached no longer than its expiry (a rotated key, until its grace deadline)', async () => {
    const gateway = await startGateway({ GATEWAY_KEY_CACHE_TTL_MS: 600_000 })
    const expiresInMs = 60_000
    const caller = withKey(gateway, { expiresAt: new Date(gateway.clock.now() + expiresInMs).toISOString() })
    const call = () => fetch(`${gateway.url}/v1/models`, { headers: caller.headers })
    expect((await call()).status).toBe(200)
    gateway.keys.delete(caller.key)
    gateway.clock.advance(expiresInMs)
    expect((await call()).status).toBe(200) // still cached, up to its expiry exactly
    gateway.clock.advance(1)
    expect((await call()).status).toBe(401)
    expect(gateway.lookups()).toHaveLength(2)
  })

  test('admin unreachable is a 503 that is not cached: the key works once admin is back', async () => {
    const gateway = await startGateway()
    const caller = withKey(gateway)
    gateway.standIns.admin?.answer((_request, res) => {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"KIT_ERR_INTERNAL"}}')
    })
    const down = await fetch(`${gateway.url}/v1/models`, { headers: caller.headers })
    expect(down.status).toBe(503)
    expect((await jsonBody(down)).error.code).toBe('GATEWAY_ERR_AUTH_UNAVAILABLE')
    gateway.standIns.admin?.answer((request, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(gateway.keys.get(JSON.parse(request.body).key)))
    })
    expect((await fetch(`${gateway.url}/v1/models`, { headers: caller.headers })).status).toBe(200)
  })
})

describe('the key cache', () => {
  const resolution = (keyId: string, overrides: Partial<KeyResolution> = {}): KeyResolution => ({
    orgId: 'org_acme',
    userId: 'user_1',
    keyId,
    scopes: [],
    expiresAt: null,
    ...overrides,
  })
  const key = (n: number) => `sy_cache${n}_${'x'.repeat(40)}`

  test('a revocation that arrives while a lookup is in flight wins over that lookup', async () => {
    const { promise: answered, resolve } = Promise.withResolvers<KeyResolution>()
    const cache = createApiKeyCache({
      lookup: () => answered,
      ttlMs: 60_000,
      negativeTtlMs: 1_000,
      maxEntries: 10,
    })
    const resolving = cache.resolve(key(1))
    cache.revoke('key_1')
    // admin read the key before the revocation committed, and says it is valid.
    resolve(resolution('key_1'))
    expect(await resolving).toBeNull()
    expect(cache.size()).toEqual({ positive: 0, negative: 0 })
  })

  test('entries expire by the injected clock, and the oldest is evicted past the maximum', async () => {
    const clock = fakeClock()
    const lookups: string[] = []
    const lookup: KeyLookup = async (presented) => {
      lookups.push(presented)
      return resolution(`key_for_${presented.slice(8, 9)}`)
    }
    const cache = createApiKeyCache({ lookup, ttlMs: 100, negativeTtlMs: 10, maxEntries: 2, now: clock.now })
    for (const n of [1, 2, 1, 2]) await cache.resolve(key(n))
    expect(lookups).toEqual([key(1), key(2)])
    await cache.resolve(key(3)) // evicts key 1, the oldest
    expect(cache.size().positive).toBe(2)
    await cache.resolve(key(1))
    expect(lookups).toEqual([key(1), key(2), key(3), key(1)])
    clock.advance(101)
    await cache.resolve(key(3))
    expect(lookups.at(-1)).toBe(key(3))
    expect(lookups).toHaveLength(5)
  })
})

test("a key checked while the gateway still reads admin's revocations is asked again, so a revocation behind in that read holds", async () => {
  const read = Promise.withResolvers<void>()
  const gateway = await startGateway({ GATEWAY_KEY_CACHE_TTL_MS: 600_000 }, { catchUp: read.promise })
  const caller = withKey(gateway)
  const status = async (headers: Record<string, string>) =>
    (await fetch(`${gateway.url}/v1/models`, { headers })).status
  expect(await status(caller.headers)).toBe(200)
  // Admin revoked it while the gateway started; its key-revoked event is still ahead in the read.
  gateway.keys.delete(caller.key)
  expect(await status(caller.headers)).toBe(401)
  expect(gateway.lookups().filter((r) => r.body.includes(caller.key))).toHaveLength(2)

  read.resolve()
  const later = withKey(gateway)
  for (let i = 0; i < 3; i++) expect(await status(later.headers)).toBe(200)
  // Caught up: valid keys are cached again.
  expect(gateway.lookups().filter((r) => r.body.includes(later.key))).toHaveLength(1)
})
