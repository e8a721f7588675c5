import type { Identity } from '@switchyard/contracts'
import { gatewayErrors } from '../errors.ts'
import type { AuthFailureLimit } from '../limits/auth-failures.ts'
import type { ApiKeyCache } from './api-keys.ts'
import type { MemberCache } from './members.ts'
import type { OidcVerifier } from './oidc.ts'

const bearer = /^Bearer[ ]+(\S+)[ ]*$/i
/** Three base64url segments: a JWS in compact form. */
const jwtShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
/** What any API key looks like (admin checks its own format): refused without a lookup otherwise. */
const apiKeyShape = /^[A-Za-z0-9_-]{16,200}$/

/**
 * The Authorization header to authenticate: the caller's own, or else an API key sent as
 * `x-api-key`, read as `Bearer <key>`. Behind Istio's RequestAuthentication (the chart's
 * ingress.mode istio with OIDC) a bearer that is not a JWT is refused before it reaches the
 * gateway, so API-key clients there send `x-api-key`. Only key-shaped values count: a JWT must come
 * as a bearer, where the mesh has checked it.
 */
export function authorizationOf(headers: {
  authorization?: string | undefined
  'x-api-key'?: string | string[] | undefined
}): string | undefined {
  if (headers.authorization !== undefined) return headers.authorization
  const key = headers['x-api-key']
  return typeof key === 'string' && apiKeyShape.test(key) ? `Bearer ${key}` : undefined
}

/**
 * The caller behind an Authorization header. `addressOf` answers the client's address; it is
 * called only when the failure limit is consulted, so a cached key never parses X-Forwarded-For.
 */
export type Authenticate = (authorization: string | undefined, addressOf: () => string) => Promise<Identity>

/**
 * The caller's identity from `Authorization: Bearer <credential>`: a JWT goes to the OIDC
 * verifier and then to admin's memberships (a 403 for someone not, or no longer, a member),
 * anything shaped like an API key to the key cache. Everything else is a 401. An API
 * key already known valid passes at once; any other request first meets the per-address limit on
 * failures (`failures`, null: none), and counts against it when it fails.
 */
export function createAuthenticator(
  keys: ApiKeyCache,
  oidc: { verifier: OidcVerifier; members: MemberCache } | null,
  failures: AuthFailureLimit | null = null,
): Authenticate {
  const identify = async (credential: string | undefined, authorization: string | undefined) => {
    if (authorization === undefined)
      throw new gatewayErrors.Unauthenticated(
        'Missing credentials; send Authorization: Bearer <API key or token>',
      )
    if (credential === undefined)
      throw new gatewayErrors.Unauthenticated(
        'Malformed Authorization header; expected Bearer <API key or token>',
      )
    if (jwtShape.test(credential)) {
      if (oidc === null) throw new gatewayErrors.Unauthenticated('Invalid token')
      // The token says who signed in; admin says whether they are a member, and as what.
      const member = await oidc.members.resolve(await oidc.verifier.verify(credential))
      if (member === null) throw new gatewayErrors.NotAMember()
      return member
    }
    const identity = apiKeyShape.test(credential) ? await keys.resolve(credential) : null
    if (identity === null) throw new gatewayErrors.Unauthenticated('Invalid API key')
    return identity
  }

  return async (authorization, addressOf) => {
    const credential = authorization === undefined ? undefined : bearer.exec(authorization)?.[1]
    const known = credential === undefined ? undefined : keys.cached(credential)
    if (known !== undefined) return known
    if (failures === null) return identify(credential, authorization)
    const address = addressOf()
    failures.check(address)
    try {
      return await identify(credential, authorization)
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode
      if (status === 401 || status === 403) await failures.record(address)
      throw error
    }
  }
}
