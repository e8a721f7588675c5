import type { Identity, MemberResolution } from '@switchyard/contracts'
import { LRUCache } from 'lru-cache'
import { gatewayErrors } from '../errors.ts'
import type { OidcSignIn } from './oidc.ts'

/** Asks the source of truth; null when the subject is not a member. Throws when it cannot answer. */
export type MemberLookup = (signIn: OidcSignIn) => Promise<MemberResolution | null>

export interface MemberCache {
  /** The identity of a signed-in member: admin's user id, their role's scopes; null when not a member. */
  resolve(signIn: OidcSignIn): Promise<Identity | null>
  /** Forgets the org's member (null: every member of the org) at once: admin's member-changed. */
  changed(orgId: string, userId: string | null): void
}

export interface MemberCacheOptions {
  lookup: MemberLookup
  /** How long a membership is trusted without a lookup, in milliseconds. */
  ttlMs: number
  /** How long a subject who is not a member is refused without a lookup, in milliseconds. */
  negativeTtlMs: number
  maxEntries: number
  /** Most lookups at once; a sign-in that would start one more is refused (503) instead. Default: no cap. */
  maxInFlight?: number
  now?: () => number
  /** Memberships are cached only once this resolves, as ApiKeyCacheOptions' `cacheFrom` says. */
  cacheFrom?: Promise<void>
}

/**
 * OIDC memberships resolved through admin and held in memory, by org and subject. A token proves
 * who someone is at the IdP; only admin says whether they are still a member and with which role,
 * so every sign-in is checked against it, at most once per TTL. Admin's `member-changed` (a
 * member removed, their role changed, the org deleted) drops entries at once; a lookup that was in
 * flight when a change came (and may answer from before it) is not cached.
 */
export function createMemberCache(options: MemberCacheOptions): MemberCache {
  const { lookup, ttlMs, negativeTtlMs, maxEntries } = options
  // ttlResolution 0: staleness is read from `now` on every get, so an injected clock is exact.
  const clock = { perf: { now: options.now ?? Date.now }, ttlResolution: 0 }
  const members = new LRUCache<string, Identity>({ max: maxEntries, ttl: ttlMs, ...clock })
  const strangers = new LRUCache<string, true>({ max: maxEntries, ttl: negativeTtlMs, ...clock })
  const pending = new Map<string, Promise<Identity | null>>()
  /** Changes seen per org: a lookup caches its answer only if none came while it ran. */
  const changes = new Map<string, number>()
  const maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY
  // A NUL cannot appear in a JSON string claim's org id, so the key is unambiguous.
  const idOf = (signIn: OidcSignIn) => `${signIn.orgId}\u0000${signIn.subject}`
  let caching = options.cacheFrom === undefined
  void options.cacheFrom?.then(() => {
    caching = true
  })

  const load = async (id: string, signIn: OidcSignIn): Promise<Identity | null> => {
    const seen = changes.get(signIn.orgId) ?? 0
    const resolution = await lookup(signIn)
    const current = (changes.get(signIn.orgId) ?? 0) === seen
    if (resolution === null) {
      if (current) strangers.set(id, true)
      return null
    }
    const identity: Identity = {
      orgId: resolution.orgId,
      userId: resolution.userId,
      keyId: null,
      scopes: resolution.scopes,
    }
    if (current && caching) members.set(id, identity)
    return identity
  }

  return {
    async resolve(signIn) {
      const id = idOf(signIn)
      const identity = members.get(id)
      if (identity !== undefined) return identity
      if (strangers.has(id)) return null
      let loading = pending.get(id)
      if (loading === undefined) {
        if (pending.size >= maxInFlight)
          throw Object.assign(new gatewayErrors.AuthBusy(), { headers: { 'retry-after': '1' } })
        const started: Promise<Identity | null> = load(id, signIn).finally(() => {
          if (pending.get(id) === started) pending.delete(id)
        })
        loading = started
        pending.set(id, loading)
      }
      return loading
    },
    changed(orgId, userId) {
      changes.set(orgId, (changes.get(orgId) ?? 0) + 1)
      for (const [id, identity] of members.entries())
        if (identity.orgId === orgId && (userId === null || identity.userId === userId)) members.delete(id)
      // Someone refused a moment ago may have just been added, and a lookup in flight may answer
      // from before the change: the next sign-in asks again rather than joining it.
      const prefix = `${orgId}\u0000`
      for (const id of strangers.keys()) if (id.startsWith(prefix)) strangers.delete(id)
      for (const id of pending.keys()) if (id.startsWith(prefix)) pending.delete(id)
    },
  }
}
