import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type MemberResolution, roleScopes } from '@switchyard/contracts'
import { answerMemberResolution, jsonBody, memberKey } from '@switchyard/testing'
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose'
import { describe, expect, onTestFinished, test } from 'vitest'
import type { GatewayConfig } from '../config.ts'
import { startGateway } from '../gateway-under-test.ts'

interface SigningKey {
  kid: string
  alg: 'RS256' | 'ES256'
  privateKey: CryptoKey
  jwk: JWK
}

async function signingKey(kid: string, alg: SigningKey['alg']): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg)
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } }
}

/** An OIDC issuer on a real port: discovery, a JWKS it can rotate, and tokens signed with real keys. */
async function startIssuer() {
  let published: SigningKey[] = [await signingKey('rsa-1', 'RS256'), await signingKey('ec-1', 'ES256')]
  let discoveryFails = false
  let jwksDownloads = 0
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      if (discoveryFails) return res.writeHead(500).end()
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(
        JSON.stringify({
          issuer,
          jwks_uri: `${issuer}/jwks`,
          id_token_signing_alg_values_supported: ['RS256', 'ES256'],
        }),
      )
    }
    if (req.url === '/jwks') {
      jwksDownloads++
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ keys: published.map((key) => key.jwk) }))
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const key = (kid: string) => published.find((k) => k.kid === kid) as SigningKey
  return {
    issuer,
    key,
    jwksDownloads: () => jwksDownloads,
    failDiscovery(fails: boolean) {
      discoveryFails = fails
    },
    /** Replaces the published keys (a rotation drops the old one). */
    async rotate(kid: string, alg: SigningKey['alg'] = 'RS256') {
      const next = await signingKey(kid, alg)
      published = [next]
      return next
    },
    /** A token: valid for `audience` for an hour unless the options say otherwise. */
    async token(
      claims: JWTPayload = {},
      options: { key?: SigningKey; iss?: string; aud?: string; exp?: number; kid?: string } = {},
    ) {
      const signer = options.key ?? key('rsa-1')
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({ org_id: 'org_acme', roles: ['chat:write'], ...claims })
        .setProtectedHeader({ alg: signer.alg, kid: options.kid ?? signer.kid, typ: 'JWT' })
        .setSubject('user_ada')
        .setIssuer(options.iss ?? issuer)
        .setAudience(options.aud ?? 'switchyard')
        .setIssuedAt(now - 5)
        .setExpirationTime(options.exp ?? now + 3600)
        .sign(signer.privateKey)
    },
  }
}

/** What admin answers for user_ada of org_acme, the subject of the issuer's tokens by default. */
const ada: MemberResolution = {
  orgId: 'org_acme',
  userId: 'user_0ada',
  role: 'member',
  scopes: [...roleScopes.member],
  provisioned: false,
}

async function setup(config: Partial<GatewayConfig> = {}) {
  const idp = await startIssuer()
  const gateway = await startGateway({
    GATEWAY_OIDC_ISSUER: idp.issuer,
    GATEWAY_OIDC_AUDIENCE: ['switchyard'],
    GATEWAY_OIDC_JWKS_COOLDOWN_MS: 0,
    ...config,
  })
  gateway.members.set(memberKey('org_acme', 'user_ada'), ada)
  const call = (token: string) =>
    fetch(`${gateway.url}/v1/conversations`, { headers: { authorization: `Bearer ${token}` } })
  return { idp, gateway, call }
}

describe('OIDC tokens', () => {
  test('valid RS256 and ES256 tokens pass, and the service sees the member admin knows', async () => {
    const { idp, gateway, call } = await setup()
    for (const kid of ['rsa-1', 'ec-1']) {
      const token = await idp.token({ roles: ['chat:write', 'rag:read'] }, { key: idp.key(kid) })
      const res = await call(token)
      expect(res.status, kid).toBe(200)
      // Admin's user id and the scopes of the member's role, not the IdP's claims.
      expect(gateway.standIns.chat?.received.at(-1)?.identity).toEqual({
        orgId: 'org_acme',
        userId: ada.userId,
        keyId: null,
        scopes: ada.scopes,
      })
    }
    // Admin was asked with what the token says (roles for provisioning; no email: not verified).
    expect(JSON.parse(gateway.memberLookups()[0]?.body ?? '{}')).toEqual({
      orgId: 'org_acme',
      subject: 'user_ada',
      email: null,
      name: null,
      roles: ['chat:write', 'rag:read'],
    })
  })

  test('expired, wrong audience, wrong issuer, unknown kid, tampered and HMAC tokens are 401s', async () => {
    const { idp, gateway, call } = await setup()
    const now = Math.floor(Date.now() / 1000)
    const valid = await idp.token()
    const [header, payload, signature] = valid.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, org_id: 'org_other' })).toString('base64url')}.${signature}`
    const hmac = await new SignJWT({ org_id: 'org_acme' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('user_ada')
      .setIssuer(idp.issuer)
      .setAudience('switchyard')
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode('a shared secret of thirty-two bytes!'))
    const cases: [string, string, string][] = [
      // Past the 30 s clock tolerance.
      ['expired', await idp.token({}, { exp: now - 60 }), 'The token has expired'],
      ['wrong audience', await idp.token({}, { aud: 'someone-else' }), 'Invalid token'],
      ['wrong issuer', await idp.token({}, { iss: 'https://evil.example.com' }), 'Invalid token'],
      ['unknown kid', await idp.token({}, { kid: 'never-published' }), 'Invalid token'],
      ['tampered', tampered, 'Invalid token'],
      ['HMAC', hmac, 'Invalid token'],
    ]
    for (const [what, token, message] of cases) {
      const res = await call(token)
      expect(res.status, what).toBe(401)
      expect(await res.json(), what).toEqual({
        error: { type: 'authentication_error', message, code: 'GATEWAY_ERR_UNAUTHENTICATED' },
      })
    }
    expect(gateway.standIns.chat?.received).toEqual([])
    // The untouched token passes.
    expect((await call(valid)).status).toBe(200)
  })

  test('a token expired within the clock tolerance still passes', async () => {
    const { idp, call } = await setup({ GATEWAY_OIDC_CLOCK_TOLERANCE_MS: 30_000 })
    const now = Math.floor(Date.now() / 1000)
    expect((await call(await idp.token({}, { exp: now - 10 }))).status).toBe(200)
  })

  test('a rotated signing key is picked up, and tokens of the retired key stop working', async () => {
    const { idp, call } = await setup()
    const old = await idp.token()
    expect((await call(old)).status).toBe(200)
    const downloads = idp.jwksDownloads()
    const next = await idp.rotate('rsa-2')
    // An unknown kid makes the gateway download the key set again.
    expect((await call(await idp.token({}, { key: next }))).status).toBe(200)
    expect(idp.jwksDownloads()).toBe(downloads + 1)
    expect((await call(old)).status).toBe(401)
  })

  test('claim names are configurable (exact names with dots, or paths), and internal roles never reach admin', async () => {
    const { idp, gateway, call } = await setup({
      GATEWAY_OIDC_ORG_CLAIM: 'https://switchyard.dev/org',
      GATEWAY_OIDC_ROLES_CLAIM: 'realm_access.roles',
      GATEWAY_OIDC_USER_CLAIM: 'email',
    })
    gateway.members.set(memberKey('org_dotted', 'ada@example.com'), { ...ada, orgId: 'org_dotted' })
    const token = await idp.token({
      'https://switchyard.dev/org': 'org_dotted',
      realm_access: { roles: ['admin:read', 'internal:keys:resolve'] },
      email: 'ada@example.com',
      email_verified: true,
      name: 'Ada',
    })
    expect((await call(token)).status).toBe(200)
    expect(JSON.parse(gateway.memberLookups().at(-1)?.body ?? '{}')).toEqual({
      orgId: 'org_dotted',
      subject: 'ada@example.com',
      email: 'ada@example.com',
      name: 'Ada',
      roles: ['admin:read'],
    })
    expect(gateway.standIns.chat?.received.at(-1)?.identity).toEqual({
      orgId: 'org_dotted',
      userId: ada.userId,
      keyId: null,
      scopes: ada.scopes,
    })
  })

  test('a token without an org is a 403 that names the claim', async () => {
    const { idp, call } = await setup()
    const res = await call(await idp.token({ org_id: undefined }))
    expect(res.status).toBe(403)
    expect((await jsonBody(res)).error).toEqual({
      type: 'permission_error',
      message: 'The token carries no organization (claim org_id)',
      code: 'GATEWAY_ERR_NO_ORG',
    })
  })

  test('an unreachable issuer is a 503, and discovery is tried again (here without a wait: oidc-discovery.test.ts)', async () => {
    const { idp, call } = await setup({ GATEWAY_OIDC_DISCOVERY_RETRY_MS: 0 })
    idp.failDiscovery(true)
    const token = await idp.token()
    const down = await call(token)
    expect(down.status).toBe(503)
    expect((await jsonBody(down)).error.code).toBe('GATEWAY_ERR_AUTH_UNAVAILABLE')
    idp.failDiscovery(false)
    expect((await call(token)).status).toBe(200)
  })
})

describe('OIDC members (admin decides who is in)', () => {
  test('a valid token of someone who is not a member of the org is a 403, and nothing reaches the service', async () => {
    const { idp, gateway, call } = await setup()
    const res = await call(await idp.token({ org_id: 'org_elsewhere' }))
    expect(res.status).toBe(403)
    expect((await jsonBody(res)).error).toEqual({
      type: 'permission_error',
      message: 'You are not a member of this organization',
      code: 'GATEWAY_ERR_NOT_A_MEMBER',
    })
    expect(gateway.standIns.chat?.received).toEqual([])
  })

  test('a member removed at admin is refused on the next request after member-changed, however long the cache', async () => {
    const { idp, gateway, call } = await setup({ GATEWAY_MEMBER_CACHE_TTL_MS: 3_600_000 })
    const token = await idp.token()
    expect((await call(token)).status).toBe(200)
    expect((await call(token)).status).toBe(200)
    // Asked once: the second request was the cache's.
    expect(gateway.memberLookups()).toHaveLength(1)
    gateway.members.delete(memberKey('org_acme', 'user_ada'))
    await gateway.memberChanged('org_acme', ada.userId)
    const res = await call(token)
    expect(res.status).toBe(403)
    expect((await jsonBody(res)).error.code).toBe('GATEWAY_ERR_NOT_A_MEMBER')
  })

  test('a deleted org ends every member (member-changed with no user), other orgs keep theirs', async () => {
    const { idp, gateway, call } = await setup({ GATEWAY_MEMBER_CACHE_TTL_MS: 3_600_000 })
    gateway.members.set(memberKey('org_beta', 'user_ada'), {
      ...ada,
      orgId: 'org_beta',
      userId: 'user_0beta',
    })
    const acmeToken = await idp.token()
    const betaToken = await idp.token({ org_id: 'org_beta' })
    expect((await call(acmeToken)).status).toBe(200)
    expect((await call(betaToken)).status).toBe(200)
    gateway.members.delete(memberKey('org_acme', 'user_ada'))
    await gateway.memberChanged('org_acme', null)
    expect((await call(acmeToken)).status).toBe(403)
    expect((await call(betaToken)).status).toBe(200)
  })

  test('a role change reaches the services with member-changed; without the event, within the cache TTL', async () => {
    const { idp, gateway, call } = await setup({ GATEWAY_MEMBER_CACHE_TTL_MS: 30_000 })
    const token = await idp.token()
    const seen = () => gateway.standIns.chat?.received.at(-1)?.identity?.scopes
    expect((await call(token)).status).toBe(200)
    expect(seen()).toEqual([...roleScopes.member])
    gateway.members.set(memberKey('org_acme', 'user_ada'), {
      ...ada,
      role: 'viewer',
      scopes: [...roleScopes.viewer],
    })
    await gateway.memberChanged('org_acme', ada.userId)
    expect((await call(token)).status).toBe(200)
    expect(seen()).toEqual([...roleScopes.viewer])
    // No event (a bus outage, say): the old answer holds until the TTL, then admin is asked again.
    gateway.members.delete(memberKey('org_acme', 'user_ada'))
    expect((await call(token)).status).toBe(200)
    gateway.clock.advance(30_001)
    expect((await call(token)).status).toBe(403)
  })

  test('admin down is a 503 that is not cached', async () => {
    const { idp, gateway, call } = await setup()
    const token = await idp.token()
    gateway.standIns.admin?.answer((_request, res) => {
      res.writeHead(500).end()
    })
    const down = await call(token)
    expect(down.status).toBe(503)
    expect((await jsonBody(down)).error.code).toBe('GATEWAY_ERR_AUTH_UNAVAILABLE')
    gateway.standIns.admin?.answer(answerMemberResolution(gateway.members))
    expect((await call(token)).status).toBe(200)
  })
})
