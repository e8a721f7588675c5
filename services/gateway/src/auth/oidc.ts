import {
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose'
import { gatewayErrors } from '../errors.ts'

export interface OidcOptions {
  /** Exactly as the issuer's tokens carry it in `iss`. */
  issuer: string
  audience: readonly string[]
  algorithms: readonly string[]
  claims: { user: string; org: string; roles: string }
  /** Clock skew allowed, in seconds. */
  clockToleranceSeconds: number
  /** Shortest time between JWKS downloads for an unknown `kid`, in milliseconds. */
  jwksCooldownMs: number
  /** Age after which the JWKS is downloaded again, in milliseconds. */
  jwksMaxAgeMs: number
  /** Timeout of each discovery and JWKS request, in milliseconds. Default 5 000. */
  httpTimeoutMs?: number
  /**
   * Wait after a failed discovery before the next try, in milliseconds; it doubles with each
   * failure in a row, up to a minute. Meanwhile tokens are answered 503 at once. Default 1 000.
   */
  discoveryRetryMs?: number
  now?: () => number
}

/** The longest wait between two discovery attempts, in milliseconds. */
const maxDiscoveryRetryMs = 60_000

/**
 * Who a valid token says signed in. Not yet an identity: admin decides whether the subject is a
 * member of the org, and with which role (auth/members.ts).
 */
export interface OidcSignIn {
  orgId: string
  /** The user claim (`sub` by default). */
  subject: string
  /** The `email` claim, only when the token says `email_verified: true` (admin links members by it). */
  email: string | null
  name: string | null
  /** The roles claim, without `internal:*` ones; admin maps them to a role when it provisions. */
  roles: string[]
}

export interface OidcVerifier {
  /** Who signed in with a valid token; rejects with a 401 (or 403 without an org, 503 without the issuer). */
  verify(token: string): Promise<OidcSignIn>
}

/** Scopes an identity may only get from the platform itself, never from an IdP's role claim. */
const reservedScope = /^internal:/

/**
 * Verifies JWTs from one OIDC issuer. Discovery (`/.well-known/openid-configuration`) runs on the
 * first token, not at start, so the gateway starts while the IdP is down; after a failed
 * discovery the next try waits (1 s, doubling up to a minute), so a flood of tokens while the IdP
 * is down is not a flood of requests to it. The JWKS comes from jose's remote key set: cached, downloaded
 * again when a token names a `kid` it lacks (a rotated key), at most once per cooldown.
 *
 * Not @fastify/jwt with get-jwks: get-jwks holds each key by its `kid` for a TTL and falls back
 * to a stale copy when a download fails, so a retired key's tokens would keep passing after a
 * rotation; it downloads again for every unknown `kid` with no cooldown, and does not check that
 * the discovery document names the issuer. Tokens are verified in full on every request, so a
 * retired key stops working as soon as the set is downloaded again.
 */
export function createOidcVerifier(options: OidcOptions): OidcVerifier {
  const timeoutMs = options.httpTimeoutMs ?? 5_000
  const retryMs = options.discoveryRetryMs ?? 1_000
  const now = options.now ?? Date.now
  let keys: Promise<JWTVerifyGetKey> | undefined
  let failedInARow = 0
  let retryAt = Number.NEGATIVE_INFINITY

  const discover = async (): Promise<JWTVerifyGetKey> => {
    const url = `${options.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
    if (!res.ok) throw new Error(`OIDC discovery at ${url} answered ${res.status}`)
    const document = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown }
    // OIDC Discovery 4.3: the document must name the very issuer it was fetched for.
    if (document.issuer !== options.issuer)
      throw new Error(`OIDC discovery at ${url} names issuer ${String(document.issuer)}`)
    if (typeof document.jwks_uri !== 'string') throw new Error(`OIDC discovery at ${url} has no jwks_uri`)
    return createRemoteJWKSet(new URL(document.jwks_uri), {
      cooldownDuration: options.jwksCooldownMs,
      cacheMaxAge: options.jwksMaxAgeMs,
      timeoutDuration: timeoutMs,
    })
  }
  const keySet = () => {
    if (keys === undefined && now() < retryAt)
      return Promise.reject(new gatewayErrors.AuthUnavailable('the OIDC issuer cannot be reached'))
    keys ??= discover().then(
      (found) => {
        failedInARow = 0
        return found
      },
      (error: unknown) => {
        keys = undefined
        retryAt = now() + Math.min(retryMs * 2 ** failedInARow, maxDiscoveryRetryMs)
        failedInARow += 1
        throw new gatewayErrors.AuthUnavailable('the OIDC issuer cannot be reached', { cause: error })
      },
    )
    return keys
  }

  return {
    async verify(token) {
      const jwks = await keySet()
      let payload: JWTPayload
      try {
        ;({ payload } = await jwtVerify(token, jwks, {
          issuer: options.issuer,
          audience: [...options.audience],
          algorithms: [...options.algorithms],
          clockTolerance: options.clockToleranceSeconds,
          requiredClaims: ['exp'],
        }))
      } catch (error) {
        throw verificationFailure(error)
      }
      return signInFrom(payload, options.claims)
    },
  }
}

function verificationFailure(error: unknown): Error {
  if (error instanceof joseErrors.JWTExpired)
    return new gatewayErrors.Unauthenticated('The token has expired')
  // The key set could not be downloaded: nothing is known about the token yet.
  if (
    error instanceof joseErrors.JWKSTimeout ||
    error instanceof joseErrors.JWKSInvalid ||
    (error instanceof TypeError && !(error instanceof joseErrors.JOSEError)) ||
    (error instanceof joseErrors.JOSEError && error.code === 'ERR_JOSE_GENERIC')
  ) {
    return new gatewayErrors.AuthUnavailable('the OIDC keys cannot be downloaded', { cause: error })
  }
  // Bad signature, unknown kid, wrong issuer or audience, not yet valid, malformed.
  return Object.assign(new gatewayErrors.Unauthenticated('Invalid token'), { cause: error })
}

function signInFrom(payload: JWTPayload, claims: OidcOptions['claims']): OidcSignIn {
  const subject = text(claim(payload, claims.user))
  if (subject === undefined) throw new gatewayErrors.Unauthenticated(`The token has no ${claims.user} claim`)
  if (subject.length > 255)
    throw new gatewayErrors.Unauthenticated(`The token's ${claims.user} claim is too long`)
  const orgId = text(claim(payload, claims.org))
  if (orgId === undefined) throw new gatewayErrors.NoOrg(claims.org)
  const roles = claim(payload, claims.roles)
  const list = Array.isArray(roles) ? roles : typeof roles === 'string' ? roles.split(' ') : []
  const roleNames = [
    ...new Set(
      list.filter(
        (r): r is string => typeof r === 'string' && r !== '' && r.length <= 200 && !reservedScope.test(r),
      ),
    ),
  ]
  // An unverified address could be anyone's: admin would link a member by it.
  const address = payload.email_verified === true ? text(payload.email) : undefined
  const email = address !== undefined && address.length <= 320 ? address : null
  const name = text(payload.name)?.slice(0, 200) ?? null
  return { orgId, subject, email, name, roles: roleNames.slice(0, 100) }
}

/** A claim by its exact name (`https://example.com/org` has dots), else by a dotted path (`realm_access.roles`). */
function claim(payload: JWTPayload, name: string): unknown {
  if (name in payload) return payload[name]
  let value: unknown = payload
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

function text(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return typeof value === 'string' && value !== '' ? value : undefined
}
