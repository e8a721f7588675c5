import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, test, vi } from 'vitest'
import { testServer } from '../test-support.ts'

describe('kit routes', () => {
  test('GET /healthz answers ok without a token', async () => {
    const { app } = await testServer()
    const res = await app.inject({ method: 'GET', url: '/healthz' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ status: 'ok' })
  })

  test('GET /readyz answers 200 with every check when all pass', async () => {
    const { app } = await testServer({
      readiness: { postgres: async () => true, redis: () => sleep(5).then(() => true) },
    })
    const res = await app.inject({ method: 'GET', url: '/readyz' })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body).toMatchObject({
      status: 'ready',
      checks: { postgres: { status: 'ok' }, redis: { status: 'ok' } },
      failing: [],
    })
    expect(body.checks.redis.durationMs).toBeGreaterThanOrEqual(4)
  })

  test('GET /readyz answers 503 naming the checks that failed, threw or timed out', async () => {
    const { app, logLines } = await testServer({
      readinessTimeoutMs: 50,
      readiness: {
        postgres: async () => true,
        kafka: async () => false,
        redis: async () => {
          throw new Error('ECONNREFUSED redis-secret-host:6379')
        },
        cassandra: () => new Promise<boolean>(() => {}),
      },
    })
    const started = Date.now()
    const res = await app.inject({ method: 'GET', url: '/readyz' })
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(res.statusCode).toBe(503)
    const body = res.json()
    expect(body.status).toBe('unavailable')
    expect(body.failing.sort()).toEqual(['cassandra', 'kafka', 'redis'])
    expect(body.checks).toMatchObject({
      postgres: { status: 'ok' },
      kafka: { status: 'failed' },
      redis: { status: 'failed' },
      cassandra: { status: 'timeout' },
    })
    // The reason is logged, not served on a public route.
    expect(res.body).not.toContain('redis-secret-host')
    expect(
      logLines.some((l) => l.check === 'redis' && JSON.stringify(l.err).includes('redis-secret-host')),
    ).toBe(true)
  })

  test('GET /readyz runs the checks once for concurrent callers and answers from that run for a second', async () => {
    let runs = 0
    let release = () => {}
    let now = 1_000_000
    const { app } = await testServer({
      now: () => now,
      readiness: {
        postgres: () => {
          runs += 1
          return new Promise<boolean>((resolve) => {
            release = () => resolve(true)
          })
        },
      },
    })
    const concurrent = [1, 2, 3].map(() => app.inject({ method: 'GET', url: '/readyz' }))
    await vi.waitFor(() => expect(runs).toBe(1))
    release()
    for (const res of await Promise.all(concurrent)) expect(res.statusCode).toBe(200)
    now += 999
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)
    expect(runs).toBe(1)
    now += 1
    const again = app.inject({ method: 'GET', url: '/readyz' })
    await vi.waitFor(() => expect(runs).toBe(2))
    release()
    expect((await again).statusCode).toBe(200)
  })

  test('GET /metrics serves the registry, with request durations by route template, method and status', async () => {
    const { app, asUser } = await testServer()
    app.get('/v1/things/:id', async () => ({ ok: true }))
    const headers = await asUser()
    await app.inject({ method: 'GET', url: '/v1/things/1', headers })
    await app.inject({ method: 'GET', url: '/v1/things/2', headers })
    await app.inject({ method: 'GET', url: '/v1/things/3' })
    await app.inject({ method: 'GET', url: '/nope/123' })
    const res = await app.inject({ method: 'GET', url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/plain/)
    expect(res.body).toContain('# TYPE http_request_duration_seconds histogram')
    expect(res.body).toMatch(
      /http_request_duration_seconds_count\{route="\/v1\/things\/:id",method="GET",status="200"\} 2/,
    )
    expect(res.body).toMatch(
      /http_request_duration_seconds_count\{route="\/v1\/things\/:id",method="GET",status="401"\} 1/,
    )
    expect(res.body).toMatch(
      /http_request_duration_seconds_count\{route="unmatched",method="GET",status="404"\} 1/,
    )
  })

  test('two servers can share one registry', async () => {
    const { metrics } = await testServer()
    await expect(testServer({ metrics })).resolves.toBeDefined()
  })

  test('GET /docs/json is an OpenAPI 3 document; GET /docs serves the UI', async () => {
    const { app } = await testServer()
    app.get('/v1/things', { schema: { summary: 'List things' } }, async () => [])
    const doc = await app.inject({ method: 'GET', url: '/docs/json' })
    expect(doc.statusCode).toBe(200)
    const openapi = doc.json()
    expect(openapi.openapi).toMatch(/^3\./)
    expect(openapi.info.title).toBe('Switchyard chat')
    expect(openapi.components.securitySchemes.internalToken).toEqual({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    })
    expect(openapi.paths['/v1/things'].get.summary).toBe('List things')
    // Public routes are documented as needing no token.
    expect(openapi.paths['/healthz'].get.security).toEqual([])
    const ui = await app.inject({ method: 'GET', url: '/docs' })
    expect(ui.statusCode).toBe(200)
    expect(ui.headers['content-type']).toMatch(/^text\/html/)
  })
})

describe('request ids', () => {
  test('an incoming x-request-id is kept, echoed and on the log lines', async () => {
    const { app, logLines } = await testServer()
    app.get('/logged', { config: { public: true } }, async (request) => {
      request.log.info('handling')
      return { id: request.id }
    })
    const res = await app.inject({ method: 'GET', url: '/logged', headers: { 'x-request-id': 'gw-7f3a' } })
    expect(res.headers['x-request-id']).toBe('gw-7f3a')
    expect(res.json()).toEqual({ id: 'gw-7f3a' })
    expect(logLines.find((l) => l.msg === 'handling')).toMatchObject({ reqId: 'gw-7f3a', service: 'chat' })
  })

  test('without one, or with an unsafe one, a fresh id is made and echoed, errors included', async () => {
    const { app } = await testServer()
    const ids = new Set<string>()
    for (const headers of [
      {},
      {},
      { 'x-request-id': 'bad id\twith "quotes"' },
      { 'x-request-id': 'x'.repeat(200) },
    ]) {
      const res = await app.inject({ method: 'GET', url: '/missing', headers })
      expect(res.statusCode).toBe(404)
      const id = String(res.headers['x-request-id'])
      expect(id).toMatch(/^[0-9a-f-]{36}$/)
      ids.add(id)
    }
    expect(ids.size).toBe(4)
  })
})
