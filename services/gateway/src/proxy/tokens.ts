import type { Identity } from '@switchyard/contracts'
import type { InternalTokenSigner } from '@switchyard/kit'

/** Mints the internal token a request is forwarded with. */
export type TokenMinter = (identity: Identity) => Promise<string>

/**
 * Internal tokens for forwarded requests. With `reuseMs` > 0 a token minted for an identity is
 * reused for its next requests during that time (it must stay well inside the token's own
 * lifetime, 60 s): the EdDSA signature here and, above all, the services' verification of a token
 * they have not seen (their verified-token cache then hits) are paid once per identity and
 * period instead of once per request. The token never leaves the platform, and a caller whose key
 * is revoked is stopped here, before any token is used. 0: a fresh token per request.
 */
export function createTokenMinter(
  signer: InternalTokenSigner,
  options: { reuseMs: number; maxEntries?: number; now?: () => number },
): TokenMinter {
  if (options.reuseMs <= 0) return (identity) => signer.sign(identity)
  const now = options.now ?? Date.now
  const maxEntries = options.maxEntries ?? 10_000
  const minted = new Map<string, { token: Promise<string>; until: number }>()
  return (identity) => {
    // Every field of the identity: a token is reused only for exactly the identity it carries.
    const key = `${identity.orgId}\n${identity.userId}\n${identity.keyId ?? ''}\n${identity.scopes.join(' ')}`
    const at = now()
    const held = minted.get(key)
    if (held !== undefined && held.until > at) return held.token
    if (held !== undefined) minted.delete(key)
    else if (minted.size >= maxEntries) {
      const oldest = minted.keys().next()
      if (!oldest.done) minted.delete(oldest.value)
    }
    const token = signer.sign(identity)
    minted.set(key, { token, until: at + options.reuseMs })
    token.catch(() => minted.delete(key))
    return token
  }
}
