import type { Identity } from '@switchyard/contracts'
import { gatewayErrors } from '../errors.ts'
import type { ApiKeyCache } from './api-keys.ts'
import type { OidcVerifier } from './oidc.ts'

const bearer = /^Bearer[ ]+(\S+)[ ]*$/i
/** Three base64url segments: a JWS in compact form. */
const jwtShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
/** What any API key looks like (admin checks its own format): refused without a lookup otherwise. */
const apiKeyShape = /^[A-Za-z0-9_-]{16,200}$/

export type Authenticate = (authorization: string | undefined) => Promise<Identity>

/**
 * The caller's identity from `Authorization: Bearer <credential>`: a JWT goes to the OIDC
 * verifier, anything shaped like an API key to the key cache. Everything else is a 401.
 */
export function createAuthenticator(keys: ApiKeyCache, oidc: OidcVerifier | null): Authenticate {
  return async (authorization) => {
    if (authorization === undefined)
      throw new gatewayErrors.Unauthenticated(
        'Missing credentials; send Authorization: Bearer <API key or token>',
      )
    const credential = bearer.exec(authorization)?.[1]
    if (credential === undefined)
      throw new gatewayErrors.Unauthenticated(
        'Malformed Authorization header; expected Bearer <API key or token>',
      )
    if (jwtShape.test(credential)) {
      if (oidc === null) throw new gatewayErrors.Unauthenticated('Invalid token')
      return oidc.verify(credential)
    }
    const identity = apiKeyShape.test(credential) ? await keys.resolve(credential) : null
    if (identity === null) throw new gatewayErrors.Unauthenticated('Invalid API key')
    return identity
  }
}
