// OIDC end to end in the one-process shape: a local issuer (discovery, a JWKS, RS256 tokens), the
// gateway checking each sign-in against the real admin (on PGlite), which provisions a first
// sign-in when the org allows it and announces a removal on the in-process bus.
import { generateKeyPairSync, sign } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { adminService, bootstrapAdmin } from '@switchyard/admin'
import { gatewayService } from '@switchyard/gateway'
import type { SqlPool } from '@switchyard/kit'
import { llmRouterService } from '@switchyard/llm-router'
import { buildTestApp, fakeClock, jsonBody, standIn, type TestApp } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test, vi } from 'vitest'

let testApp: TestApp
let closeIssuer: () => Promise<void>
let token: (claims: Record<string, unknown>) => Promise<string>
let ownerKey: string
let orgId: string
/** Every service's ctx.now: the gateway's caches expire when the test moves it. */
const clock = fakeClock()

beforeAll(async () => {
  // RS256 by hand (node:crypto): this package does not depend on jose, and a JWS is three lines.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' }
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    if (req.url === '/.well-known/openid-configuration')
      return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }))
    if (req.url === '/jwks') return res.end(JSON.stringify({ keys: [jwk] }))
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  closeIssuer = () => new Promise((resolve) => server.close(() => resolve()))
  token = async (claims) => {
    const now = Math.floor(Date.now() / 1000)
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const body = `${part({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${part({ iss: issuer, aud: 'switchyard', iat: now, exp: now + 3600, ...claims })}`
    return `${body}.${sign('sha256', Buffer.from(body), privateKey).toString('base64url')}`
  }

  const keeper = standIn('rag', { needs: ['sql'] })
  testApp = await buildTestApp({
    services: {
      gateway: gatewayService,
      'llm-router': llmRouterService,
      admin: adminService,
      rag: keeper.service,
    },
    env: {
      GATEWAY_OIDC_ISSUER: issuer,
      GATEWAY_OIDC_AUDIENCE: 'switchyard',
      LLM_ROUTER_MODELS: JSON.stringify({
        models: {
          m: { deployments: [{ id: 'd', provider: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' }] },
        },
      }),
    },
    listen: true,
    now: clock.now,
  })
  const boot = await bootstrapAdmin(keeper.context().sql as SqlPool, {
    orgName: 'Acme',
    ownerEmail: 'owner@acme.test',
  })
  ownerKey = boot.key
  orgId = boot.orgId
}, 60_000)

afterAll(async () => {
  await testApp?.close()
  await closeIssuer?.()
})

const asOwner = () => ({ authorization: `Bearer ${ownerKey}`, 'content-type': 'application/json' })

test('an OIDC user is provisioned on first sign-in, and refused on the next request after an admin removes them', async () => {
  const url = testApp.url
  const ada = await token({ sub: 'idp|ada', org_id: orgId, email: 'ada@acme.test', email_verified: true })
  const signIn = () => fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${ada}` } })

  // Provisioning is off by default: a valid token of a stranger is refused.
  const stranger = await signIn()
  expect(stranger.status).toBe(403)
  expect((await jsonBody(stranger)).error.code).toBe('GATEWAY_ERR_NOT_A_MEMBER')

  const settings = await fetch(`${url}/admin/v1/orgs/${orgId}/oidc`, {
    method: 'PUT',
    headers: asOwner(),
    body: JSON.stringify({ provisioning: true, defaultRole: 'member', roleClaims: {} }),
  })
  expect(settings.status).toBe(200)
  // The refusal is cached for GATEWAY_MEMBER_NEGATIVE_TTL_MS (5 s); past it, the sign-in provisions.
  expect((await signIn()).status).toBe(403)
  clock.advance(5_001)
  expect((await signIn()).status).toBe(200)

  const members = (await jsonBody(await fetch(`${url}/admin/v1/users`, { headers: asOwner() }))).data as {
    userId: string
    email: string
    role: string
  }[]
  const member = members.find((m) => m.email === 'ada@acme.test')
  expect(member?.role).toBe('member')

  const removed = await fetch(`${url}/admin/v1/users/${member?.userId}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${ownerKey}` },
  })
  expect(removed.status).toBe(204)
  // member-changed over the in-process bus: at once, long before the 30 s cache TTL.
  await vi.waitFor(async () => expect((await signIn()).status).toBe(403), { timeout: 1_000, interval: 10 })
  // Provisioning is still on, but a removed member does not come back by signing in again.
  expect((await signIn()).status).toBe(403)
})
