// In one process the gateway passes requests to admin through app.inject, whose URL parser resolves
// dot segments: a path the route table sends to admin's public subtree must never land on one of
// admin's internal routes. The requests leave as raw bytes (node:http), since fetch would resolve
// the dot segments itself before sending.
import { request as httpRequest } from 'node:http'
import { resolveKeysScope } from '@switchyard/contracts'
import { gatewayService } from '@switchyard/gateway'
import { buildTestApp, standIn, type TestApp } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'

const key = 'sk-test-dot-segments-0123456789'
const resolution = {
  orgId: 'org_acme',
  userId: 'user_alice',
  keyId: 'key_alice',
  scopes: [],
  expiresAt: null,
}
/** Requests that reached the stand-in admin's internal catalog. */
let internalHits = 0
let testApp: TestApp

beforeAll(async () => {
  const admin = standIn('admin', {
    register: async (app) => {
      app.post('/admin/v1/internal/keys/resolve', async (request, reply) => {
        if (!request.identity.scopes.includes(resolveKeysScope)) return reply.code(403).send()
        const body = request.body as { key: string }
        return body.key === key
          ? resolution
          : reply.code(401).send({ error: { message: 'no', type: 'x', code: 'ADMIN_ERR_INVALID_API_KEY' } })
      })
      app.get('/admin/v1/internal/catalog', async () => {
        internalHits += 1
        return { reached: 'internal' }
      })
      app.get('/admin/v1/*', async (request) => ({ path: request.url }))
    },
  })
  testApp = await buildTestApp({ services: { gateway: gatewayService, admin: admin.service }, listen: true })
}, 60_000)

afterAll(async () => {
  await testApp?.close()
})

/** GET `path` exactly as written, with the test's key. */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(testApp.url)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, headers: { authorization: `Bearer ${key}` } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

test.each([
  '/admin/v1/x/../internal/catalog',
  '/admin/v1/./internal/catalog',
  '/admin/v1/x/%2e%2e/internal/catalog',
  '/admin/v1/x/%2E%2e/internal/catalog',
  '/admin/v1/x/.%2E/internal/catalog',
  '/admin/v1/x/%252e%252e/internal/catalog',
  '/admin/v1/x/..%2finternal/catalog',
  '/admin/v1/x/%5c..%5cinternal/catalog',
  '/admin/v1/x\\..\\internal/catalog',
])('%s is refused at the gateway with a 400, before any service sees it', async (path) => {
  const before = internalHits
  const res = await rawGet(path)
  expect(res.status).toBe(400)
  expect(JSON.parse(res.body).error).toMatchObject({
    type: 'invalid_request_error',
    code: 'GATEWAY_ERR_INVALID_PATH',
  })
  expect(internalHits).toBe(before)
})

test('a dot inside a segment is no dot segment: the path reaches admin as sent', async () => {
  const res = await rawGet('/admin/v1/files/a%2ebin/...')
  expect(res.status).toBe(200)
  expect(JSON.parse(res.body)).toEqual({ path: '/admin/v1/files/a%2ebin/...' })
})
