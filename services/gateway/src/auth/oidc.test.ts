import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { jsonBody } from '@switchyard/testing'
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

async function setup(config: Partial<GatewayConfig> = {}) {
  const idp = await startIssuer()
  const gateway = await startGateway({
    GATEWAY_OIDC_ISSUER: idp.issuer,
    GATEWAY_OIDC_AUDIENCE: ['switchyard'],
    GATEWAY_OIDC_JWKS_COOLDOWN_MS: 0,
    ...config,
  })
  const call = (token: string) =>
    fetch(`${gateway.url}/v1/conversations`, { headers: { authorization: `Bearer ${token}` } })
  return { idp, gateway, call }
}

describe('OIDC tokens', () => {
  test('valid RS256 and ES256 tokens pass, and the service sees the mapped identity', async () => {
    const { idp, gateway, call } = await setup()
    for (const kid of ['rsa-1', 'ec-1']) {
      const res = await call(await idp.token({ roles: ['chat:write', 'rag:read'] }, { key: idp.key(kid) }))
      expect(res.status, kid).toBe(200)
      expect(gateway.standIns.chat?.received.at(-1)?.identity).toEqual({
        orgId: 'org_acme',
        userId: 'user_ada',
        keyId: null,
        scopes: ['chat:write', 'rag:read'],
      })
    }
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

  test('claim names are configurable (exact names with dots, or paths), and internal scopes never come from an IdP', async () => {
    const { idp, gateway, call } = await setup({
      GATEWAY_OIDC_ORG_CLAIM: 'https://switchyard.dev/org',
      GATEWAY_OIDC_ROLES_CLAIM: 'realm_access.roles',
      GATEWAY_OIDC_USER_CLAIM: 'email',
    })
    const token = await idp.token({
      'https://switchyard.dev/org': 'org_dotted',
      realm_access: { roles: ['admin:read', 'internal:keys:resolve'] },
      email: 'ada@example.com',
    })
    expect((await call(token)).status).toBe(200)
    expect(gateway.standIns.chat?.received.at(-1)?.identity).toEqual({
      orgId: 'org_dotted',
      userId: 'ada@example.com',
      keyId: null,
      scopes: ['admin:read'],
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
