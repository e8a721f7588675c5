import { generateKeyPairSync } from 'node:crypto'
import type { Identity } from '@switchyard/contracts'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { describe, expect, test } from 'vitest'
import { alice, testServer } from '../test-support.ts'
import {
  createInternalTokenSigner,
  createInternalTokenVerifier,
  generateInternalKeyPair,
  type InternalTokenVerifier,
} from './internal-token.ts'

async function serverWithWhoAmI(options: { identity?: InternalTokenVerifier } = {}) {
  const server = await testServer(options)
  server.app.get('/whoami', async (request) => request.identity)
  server.app.get('/forward', async (request) => ({ token: request.internalToken }))
  server.app.get('/open', { config: { public: true } }, async (request) => ({ identity: request.identity }))
  return server
}

const unauthenticated = (message: string) => ({
  error: { type: 'authentication_error', message, code: 'KIT_ERR_UNAUTHENTICATED' },
})

describe('internal tokens on a server', () => {
  test('a valid token sets request.identity', async () => {
    const { app, asUser } = await serverWithWhoAmI()
    const service: Identity = { orgId: 'org_acme', userId: 'user_bob', keyId: null, scopes: [] }
    for (const identity of [alice, service]) {
      const res = await app.inject({ method: 'GET', url: '/whoami', headers: await asUser(identity) })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual(identity)
    }
  })

  test('the verified token is kept on the request, to forward to another service', async () => {
    const { app, asUser } = await serverWithWhoAmI()
    const headers = await asUser()
    const res = await app.inject({ method: 'GET', url: '/forward', headers })
    expect(`Bearer ${res.json().token}`).toBe(headers.authorization)
  })

  test('a missing or malformed Authorization header is a 401', async () => {
    const { app, signer } = await serverWithWhoAmI()
    const token = await signer.sign(alice)
    const cases: [Record<string, string>, string][] = [
      [{}, 'Missing bearer token'],
      [{ authorization: `Basic ${token}` }, 'Malformed Authorization header; expected Bearer <token>'],
      [{ authorization: 'Bearer' }, 'Malformed Authorization header; expected Bearer <token>'],
      [{ authorization: 'Bearer not-a-jwt' }, 'Invalid internal token'],
    ]
    for (const [headers, message] of cases) {
      const res = await app.inject({ method: 'GET', url: '/whoami', headers })
      expect(res.statusCode).toBe(401)
      expect(res.json()).toEqual(unauthenticated(message))
    }
  })

  test('a token signed with another key (forged) is a 401', async () => {
    const { app } = await serverWithWhoAmI()
    const forger = createInternalTokenSigner({ privateKey: generateInternalKeyPair().privateKey })
    const res = await app.inject({
      method: 'GET',
      url: '/whoami',
      headers: { authorization: `Bearer ${await forger.sign({ ...alice, scopes: ['admin'] })}` },
    })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toEqual(unauthenticated('Invalid internal token'))
  })

  test('a token whose signature was tampered with is a 401', async () => {
    const { app, signer } = await serverWithWhoAmI()
    const [header, , signature] = (await signer.sign(alice)).split('.')
    const payload = Buffer.from(
      JSON.stringify({ org: 'org_other', user: 'u', key: null, scopes: [] }),
    ).toString('base64url')
    const res = await app.inject({
      method: 'GET',
      url: '/whoami',
      headers: { authorization: `Bearer ${header}.${payload}.${signature}` },
    })
    expect(res.statusCode).toBe(401)
  })

  test('an expired token is a 401 that says so', async () => {
    const { app, keys } = await serverWithWhoAmI()
    const expired = createInternalTokenSigner({ privateKey: keys.privateKey, ttlSeconds: -30 })
    const res = await app.inject({
      method: 'GET',
      url: '/whoami',
      headers: { authorization: `Bearer ${await expired.sign(alice)}` },
    })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toEqual(unauthenticated('The internal token has expired'))
  })

  test('a token for another audience or from another issuer is a 401', async () => {
    const { app, keys } = await serverWithWhoAmI()
    for (const options of [{ audience: 'someone-else' }, { issuer: 'not-the-gateway' }]) {
      const signer = createInternalTokenSigner({ privateKey: keys.privateKey, ...options })
      const res = await app.inject({
        method: 'GET',
        url: '/whoami',
        headers: { authorization: `Bearer ${await signer.sign(alice)}` },
      })
      expect(res.statusCode).toBe(401)
      expect(res.json()).toEqual(unauthenticated('Invalid internal token'))
    }
  })

  test('a public route answers without a token and never calls the verifier', async () => {
    let verified = 0
    const keys = generateInternalKeyPair()
    const real = createInternalTokenVerifier({ publicKey: keys.publicKey })
    const counting: InternalTokenVerifier = {
      verify: (token) => {
        verified++
        return real.verify(token)
      },
    }
    const { app } = await serverWithWhoAmI({ identity: counting })
    for (const url of ['/open', '/healthz', '/readyz', '/metrics', '/docs/json']) {
      const res = await app.inject({ method: 'GET', url })
      expect(res.statusCode, url).toBe(200)
    }
    expect(verified).toBe(0)
    expect(
      (await app.inject({ method: 'GET', url: '/whoami', headers: { authorization: 'Bearer x' } }))
        .statusCode,
    ).toBe(401)
    expect(verified).toBe(1)
  })

  test('a verifier that fails in its own way still answers 401, not 500', async () => {
    const broken: InternalTokenVerifier = { verify: () => Promise.reject(new Error('key store unreachable')) }
    const { app } = await serverWithWhoAmI({ identity: broken })
    const res = await app.inject({ method: 'GET', url: '/whoami', headers: { authorization: 'Bearer abc' } })
    expect(res.statusCode).toBe(401)
    expect(res.json().error.code).toBe('KIT_ERR_UNAUTHENTICATED')
  })
})

describe('signer and verifier', () => {
  test('the token is an EdDSA JWT with the identity claims, a kid and a short lifetime', async () => {
    const { privateKey } = generateInternalKeyPair()
    const token = await createInternalTokenSigner({ privateKey }).sign(alice)
    const header = decodeProtectedHeader(token)
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'switchyard-internal+jwt' })
    expect(header.kid).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const claims = decodeJwt(token)
    expect(claims).toMatchObject({
      org: 'org_acme',
      user: 'user_alice',
      key: 'key_1',
      scopes: ['chat:write'],
      sub: 'user_alice',
      iss: 'switchyard-gateway',
      aud: 'switchyard-internal',
    })
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(60)
  })

  test('during a key rotation the verifier accepts tokens from the old and the new key', async () => {
    const oldKeys = generateInternalKeyPair()
    const newKeys = generateInternalKeyPair()
    const verifier = createInternalTokenVerifier({ publicKey: [oldKeys.publicKey, newKeys.publicKey] })
    for (const keys of [oldKeys, newKeys]) {
      const token = await createInternalTokenSigner({ privateKey: keys.privateKey }).sign(alice)
      await expect(verifier.verify(token)).resolves.toEqual(alice)
    }
    const stranger = await createInternalTokenSigner({
      privateKey: generateInternalKeyPair().privateKey,
    }).sign(alice)
    await expect(verifier.verify(stranger)).rejects.toMatchObject({ code: 'KIT_ERR_UNAUTHENTICATED' })
  })

  test('a key that is not Ed25519 is refused at creation', () => {
    const rsa = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    })
    expect(() => createInternalTokenSigner({ privateKey: rsa.privateKey })).toThrow(/Ed25519/)
    expect(() => createInternalTokenVerifier({ publicKey: rsa.publicKey })).toThrow(/Ed25519/)
    expect(() => createInternalTokenVerifier({ publicKey: 'not a pem' })).toThrow()
  })
})

describe('the verified-token cache', () => {
  const keys = generateInternalKeyPair()
  const signer = createInternalTokenSigner({ privateKey: keys.privateKey })

  test('a token seen again is answered from the cache with the same identity', async () => {
    const verifier = createInternalTokenVerifier({ publicKey: keys.publicKey })
    const token = await signer.sign(alice)
    const first = await verifier.verify(token)
    expect(verifier.cachedTokens).toBe(1)
    expect(await verifier.verify(token)).toBe(first)
    expect(first).toEqual(alice)
    expect(verifier.cachedTokens).toBe(1)
    // Shared between requests, so nobody may change it.
    expect(Object.isFrozen(first) && Object.isFrozen(first.scopes)).toBe(true)
  })

  test('a cached token is checked in full again near its exp, and refused once expired', async () => {
    let clock = Date.now()
    const verifier = createInternalTokenVerifier({ publicKey: keys.publicKey, now: () => clock })
    const token = await signer.sign(alice)
    const exp = (decodeJwt(token).exp as number) * 1000
    await expect(verifier.verify(token)).resolves.toEqual(alice)
    expect(verifier.cachedTokens).toBe(1)
    // Past exp minus the 5 s tolerance, not past exp plus it: a full check still accepts it, but it
    // is not remembered any more.
    clock = exp - 2_000
    await expect(verifier.verify(token)).resolves.toEqual(alice)
    expect(verifier.cachedTokens).toBe(0)
    clock = exp + 6_000
    await expect(verifier.verify(token)).rejects.toMatchObject({
      code: 'KIT_ERR_UNAUTHENTICATED',
      message: 'The internal token has expired',
    })
    // Cached, then expired: the cache does not outlive the token either.
    clock = Date.now()
    const again = await signer.sign(alice)
    await verifier.verify(again)
    expect(verifier.cachedTokens).toBe(1)
    clock = (decodeJwt(again).exp as number) * 1000 + 6_000
    await expect(verifier.verify(again)).rejects.toMatchObject({ message: 'The internal token has expired' })
    expect(verifier.cachedTokens).toBe(0)
  })

  test('refused tokens are never cached, and a cached one does not vouch for an altered copy', async () => {
    const verifier = createInternalTokenVerifier({ publicKey: keys.publicKey })
    const refused = [
      await createInternalTokenSigner({ privateKey: generateInternalKeyPair().privateKey }).sign(alice),
      await createInternalTokenSigner({ privateKey: keys.privateKey, ttlSeconds: -30 }).sign(alice),
      await createInternalTokenSigner({ privateKey: keys.privateKey, audience: 'someone-else' }).sign(alice),
    ]
    for (const token of [...refused, ...refused]) {
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'KIT_ERR_UNAUTHENTICATED' })
    }
    expect(verifier.cachedTokens).toBe(0)
    const token = await signer.sign(alice)
    await verifier.verify(token)
    const [header, , signature] = token.split('.')
    const payload = Buffer.from(
      JSON.stringify({ ...decodeJwt(token), org: 'org_other', scopes: ['admin'] }),
    ).toString('base64url')
    await expect(verifier.verify(`${header}.${payload}.${signature}`)).rejects.toMatchObject({
      code: 'KIT_ERR_UNAUTHENTICATED',
    })
    expect(verifier.cachedTokens).toBe(1)
  })

  test('the cache holds at most cacheSize tokens; 0 turns it off', async () => {
    const tokens = await Promise.all(Array.from({ length: 5 }, () => signer.sign(alice)))
    const bounded = createInternalTokenVerifier({ publicKey: keys.publicKey, cacheSize: 3 })
    const off = createInternalTokenVerifier({ publicKey: keys.publicKey, cacheSize: 0 })
    for (const token of tokens) {
      await expect(bounded.verify(token)).resolves.toEqual(alice)
      await expect(off.verify(token)).resolves.toEqual(alice)
    }
    expect(bounded.cachedTokens).toBe(3)
    expect(off.cachedTokens).toBe(0)
  })
})
