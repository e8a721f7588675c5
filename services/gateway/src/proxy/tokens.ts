import type { Identity } from '@switchyard/contracts'
import type { InternalTokenSigner } from '@switchyard/kit'
import { LRUCache } from 'lru-cache'

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
  const minted = new LRUCache<string, Promise<string>>({
    max: options.maxEntries ?? 10_000,
    ttl: options.reuseMs,
    // Staleness read from `now` on every get, so an injected clock is exact.
    ttlResolution: 0,
    perf: { now: options.now ?? Date.now },
  })
  return (identity) => {
    // Every field of the identity: a token is reused only for exactly the identity it carries.
    const key = `${identity.orgId}\n${identity.userId}\n${identity.keyId ?? ''}\n${identity.scopes.join(' ')}`
    const held = minted.get(key)
    if (held !== undefined) return held
    const token = signer.sign(identity)
    minted.set(key, token)
    token.catch(() => minted.delete(key))
    return token
  }
}
