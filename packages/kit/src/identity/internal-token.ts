import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
} from 'node:crypto'
import { Identity, scopes } from '@switchyard/contracts'
import { type JWTHeaderParameters, errors as joseErrors, jwtVerify, SignJWT } from 'jose'
import { LRUCache } from 'lru-cache'
import { Value } from 'typebox/value'
import { kitErrors } from '../errors/errors.ts'

/** An Ed25519 key pair in PEM: `privateKey` PKCS#8 (the gateway's), `publicKey` SPKI (every service's). */
export interface InternalKeyPair {
  privateKey: string
  publicKey: string
}

export interface InternalTokenSigner {
  /** A short-lived EdDSA JWT carrying the identity (claims org, user, key, scopes). */
  sign(identity: Identity): Promise<string>
}

export interface InternalTokenVerifier {
  /** The identity in a valid token; rejects with KIT_ERR_UNAUTHENTICATED otherwise. */
  verify(token: string): Promise<Identity>
  /**
   * The identity of a token verified before and still valid, or undefined (then `verify` it):
   * the common case answered without a promise.
   */
  known?(token: string): Identity | undefined
}

/** What createInternalTokenVerifier returns: a verifier that remembers the tokens it accepted. */
export interface CachingInternalTokenVerifier extends InternalTokenVerifier {
  /** Verified tokens held right now (at most `cacheSize`). */
  readonly cachedTokens: number
}

export interface InternalTokenSignerOptions {
  /** PKCS#8 PEM. */
  privateKey: string
  issuer?: string
  audience?: string
  /** Token lifetime, in seconds. */
  ttlSeconds?: number
}

export interface InternalTokenVerifierOptions {
  /** SPKI PEM; several while a key is rotated (the token's `kid` picks one). */
  publicKey: string | readonly string[]
  issuer?: string
  audience?: string
  /**
   * SPKI PEM of the worker key: a background worker (rag's ingestion) mints tokens with it for the
   * user who asked, after their request ended. Its tokens must come from `workerTokenIssuer` and
   * may carry `workerTokenScopes` (llm:use, files:read) only; anything more is refused. Unset: no worker token passes.
   */
  workerPublicKey?: string
  /** Allowed clock skew between signer and verifier, in seconds. */
  clockToleranceSeconds?: number
  /** Verified tokens remembered, oldest dropped first; 0 verifies every time. Default 10 000. */
  cacheSize?: number
  /** Epoch milliseconds; tests pass a fake clock. Default Date.now. */
  now?: () => number
}

const defaultIssuer = 'switchyard-gateway'
/** Issuer of the tokens a worker mints with the worker key (`createInternalTokenSigner({ issuer })`). */
export const workerTokenIssuer = 'switchyard-worker'
/**
 * All a worker token may grant: spending at the router for the requester (usage and budgets count
 * there), and reading the files and vector stores the requester may read (an agent run's
 * `rag_search`, which outlives the request that started it; rag's org and access-list checks
 * still decide). Changing anyone's data, or reading anything else, needs the gateway's key.
 */
export const workerTokenScopes: readonly string[] = [scopes.llmUse, scopes.filesRead]
const defaultAudience = 'switchyard-internal'
/** `typ` header: an OIDC or other JWT is never mistaken for an internal token. */
const tokenType = 'switchyard-internal+jwt'

export function generateInternalKeyPair(): InternalKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  })
  return { privateKey, publicKey }
}

/** Synchronous, and throws on a bad key, so a misconfigured process fails at start. */
export function createInternalTokenSigner(options: InternalTokenSignerOptions): InternalTokenSigner {
  const key = ed25519Key(createPrivateKey(options.privateKey), 'private')
  const kid = thumbprint(createPublicKey(key))
  const issuer = options.issuer ?? defaultIssuer
  const audience = options.audience ?? defaultAudience
  const ttlSeconds = options.ttlSeconds ?? 60
  return {
    async sign(identity) {
      return new SignJWT({
        org: identity.orgId,
        user: identity.userId,
        key: identity.keyId,
        scopes: identity.scopes,
      })
        .setProtectedHeader({ alg: 'EdDSA', typ: tokenType, kid })
        .setSubject(identity.userId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
        .setJti(randomUUID())
        .sign(key)
    },
  }
}

/**
 * Verifies internal tokens. A gateway forwards one token for many requests of a caller (and a
 * service passes it on to the router), and an EdDSA verify is slow next to a lookup, so each
 * accepted token is remembered with its identity until its `exp` minus the clock tolerance: a
 * token seen again is a cache lookup, and one near its end is verified in full again (and refused
 * once expired). Only accepted tokens are remembered, keyed by the whole string, signature
 * included: a forged or altered token never matches one. The keys are fixed for the verifier's
 * life, so nothing a cached token relied on can change while it is held.
 *
 * jose verifies rather than @fastify/jwt: its cache keys every lookup by a SHA-512 of the token,
 * which costs more than the whole of this cache's hit.
 */
export function createInternalTokenVerifier(
  options: InternalTokenVerifierOptions,
): CachingInternalTokenVerifier {
  const pems = typeof options.publicKey === 'string' ? [options.publicKey] : options.publicKey
  if (pems.length === 0) throw new TypeError('createInternalTokenVerifier needs at least one public key')
  const keys = new Map(
    pems.map((pem) => {
      const key = ed25519Key(createPublicKey(pem), 'public')
      return [thumbprint(key), key] as const
    }),
  )
  const [onlyKey] = keys.size === 1 ? keys.values() : []
  const workerKey =
    options.workerPublicKey === undefined
      ? undefined
      : ed25519Key(createPublicKey(options.workerPublicKey), 'public')
  const workerKid = workerKey && thumbprint(workerKey)
  if (workerKid !== undefined && keys.has(workerKid))
    throw new TypeError('the worker key must not be one of the internal token keys')
  const issuer = options.issuer ?? defaultIssuer
  /** The key of a token and the issuer it must name: the worker key only by its kid. */
  const pickKey = (header: JWTHeaderParameters): { key: KeyObject; issuer: string } => {
    if (workerKey !== undefined && header.kid === workerKid)
      return { key: workerKey, issuer: workerTokenIssuer }
    const key = (header.kid !== undefined ? keys.get(header.kid) : undefined) ?? onlyKey
    if (key === undefined) throw new joseErrors.JWKSNoMatchingKey()
    return { key, issuer }
  }
  const now = options.now ?? Date.now
  const toleranceSeconds = options.clockToleranceSeconds ?? 5
  const cacheSize = options.cacheSize ?? 10_000
  /** Least recently used tokens go first; each entry expires on its own (see verifyFully). */
  const cache =
    cacheSize > 0
      ? new LRUCache<string, Identity>({
          max: cacheSize,
          // Staleness read from `now` on every get, so an injected clock is exact.
          ttlResolution: 0,
          perf: { now },
        })
      : undefined

  const verifyFully = async (token: string, at: number): Promise<Identity> => {
    let payload: Record<string, unknown>
    let expectedIssuer = issuer
    try {
      ;({ payload } = await jwtVerify(
        token,
        (header) => {
          const picked = pickKey(header)
          expectedIssuer = picked.issuer
          return picked.key
        },
        {
          algorithms: ['EdDSA'],
          typ: tokenType,
          issuer: workerKey === undefined ? issuer : [issuer, workerTokenIssuer],
          audience: options.audience ?? defaultAudience,
          clockTolerance: toleranceSeconds,
          requiredClaims: ['exp', 'iat'],
          currentDate: new Date(at),
        },
      ))
      // Each key speaks for its own issuer only: a worker token never passes as the gateway's.
      if (payload.iss !== expectedIssuer)
        throw new joseErrors.JWTClaimValidationFailed(
          'unexpected "iss" claim value',
          payload,
          'iss',
          'check_failed',
        )
    } catch (error) {
      throw new kitErrors.Unauthenticated(
        error instanceof joseErrors.JWTExpired ? 'The internal token has expired' : 'Invalid internal token',
        { cause: error },
      )
    }
    const identity = {
      orgId: payload.org,
      userId: payload.user,
      keyId: payload.key,
      scopes: payload.scopes,
    }
    if (!Value.Check(Identity, identity)) throw new kitErrors.Unauthenticated('Invalid internal token claims')
    if (
      expectedIssuer === workerTokenIssuer &&
      !identity.scopes.every((scope) => workerTokenScopes.includes(scope))
    )
      throw new kitErrors.Unauthenticated(`A worker token may carry ${workerTokenScopes.join(' and ')} only`)
    // Shared by every request that presents this token from now on: none may change it for another.
    Object.freeze(identity.scopes)
    Object.freeze(identity)
    // Held until exp minus the tolerance (a full check accepts it until exp plus the tolerance): a
    // token near its end is checked in full again, and refused as expired once it is.
    const validUntilMs = ((payload.exp as number) - toleranceSeconds) * 1000
    if (validUntilMs > at) cache?.set(token, identity, { ttl: validUntilMs - at })
    return identity
  }

  return {
    verify(token) {
      const identity = cache?.get(token)
      return identity === undefined ? verifyFully(token, now()) : Promise.resolve(identity)
    },
    known: (token) => cache?.get(token),
    get cachedTokens() {
      return cache?.size ?? 0
    },
  }
}

function ed25519Key(key: KeyObject, kind: 'private' | 'public'): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(`the internal token ${kind} key must be Ed25519, got ${key.asymmetricKeyType}`)
  }
  return key
}

/** RFC 7638 JWK thumbprint of an Ed25519 public key: a stable `kid` derived from the key itself. */
function thumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' })
  return createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x }))
    .digest('base64url')
}
