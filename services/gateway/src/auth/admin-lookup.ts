import {
  type AdminClient,
  adminErrorCodes,
  type Identity,
  kitErrorCodes,
  type MemberResolution,
  resolveKeysScope,
  resolveMembersScope,
} from '@switchyard/contracts'
import type { InternalTokenSigner } from '@switchyard/kit'
import type { Logger } from 'pino'
import { gatewayErrors } from '../errors.ts'
import { createTokenMinter } from '../proxy/tokens.ts'
import type { KeyLookup } from './api-keys.ts'
import type { MemberLookup } from './members.ts'

/** Who the gateway is when it asks admin: a service identity with just the scope it needs. */
export const gatewayIdentity: Identity = {
  orgId: 'platform',
  userId: 'gateway',
  keyId: null,
  scopes: [resolveKeysScope],
}

/**
 * Resolves a key through admin's internal endpoint, as the gateway (a token it mints with scope
 * `internal:keys:resolve`). Only admin's "invalid key" answer means the key is bad; anything else
 * (admin down, a token admin refuses) is the gateway's problem, answered 503 and never cached.
 */
export function createAdminKeyLookup(deps: {
  admin: AdminClient
  signer: InternalTokenSigner
  logger: Logger
  timeoutMs?: number
}): KeyLookup {
  const timeoutMs = deps.timeoutMs ?? 5_000
  // One token for every lookup while it is young (tokens live 60 s): admin verifies it once and
  // then answers from its verified-token cache, instead of verifying (and caching) a new token per
  // lookup, which a flood of made-up keys would turn into evicting real callers' entries.
  const token = createTokenMinter(deps.signer, { reuseMs: 30_000 })
  return async (key) => {
    let answer: Awaited<ReturnType<AdminClient['resolveKey']>>
    try {
      answer = await deps.admin.resolveKey(key, {
        token: await token(gatewayIdentity),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (error) {
      throw new gatewayErrors.AuthUnavailable('admin cannot be reached', { cause: error })
    }
    if (answer.ok) return answer.body
    const code = answer.error?.code
    // A key too long or empty for admin's schema is as bad as an unknown one.
    if (
      code === adminErrorCodes.InvalidApiKey ||
      (answer.status === 400 && code === kitErrorCodes.Validation)
    )
      return null
    deps.logger.error({ status: answer.status, code }, 'admin refused to resolve an API key for the gateway')
    throw new gatewayErrors.AuthUnavailable(`admin answered ${answer.status}`)
  }
}

/** Who the gateway is when it checks an OIDC sign-in at admin. */
export const gatewayMemberIdentity: Identity = { ...gatewayIdentity, scopes: [resolveMembersScope] }

/**
 * Checks an OIDC sign-in against admin's memberships (`internal:members:resolve`), which may
 * provision the member on first sight. Only admin's "not a member" means the subject is out;
 * anything else is answered 503 and never cached, as for keys.
 */
export function createAdminMemberLookup(deps: {
  admin: AdminClient
  signer: InternalTokenSigner
  logger: Logger
  timeoutMs?: number
}): MemberLookup {
  const timeoutMs = deps.timeoutMs ?? 5_000
  const token = createTokenMinter(deps.signer, { reuseMs: 30_000 })
  return async (signIn) => {
    let answer: Awaited<ReturnType<AdminClient['resolveMember']>>
    try {
      answer = await deps.admin.resolveMember(signIn, {
        token: await token(gatewayMemberIdentity),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (error) {
      throw new gatewayErrors.AuthUnavailable('admin cannot be reached', { cause: error })
    }
    if (answer.ok) return answer.body satisfies MemberResolution
    if (answer.error?.code === adminErrorCodes.NotAMember) return null
    deps.logger.error(
      { status: answer.status, code: answer.error?.code },
      'admin refused to resolve an OIDC member for the gateway',
    )
    throw new gatewayErrors.AuthUnavailable(`admin answered ${answer.status}`)
  }
}
