import type { Identity } from '@switchyard/contracts'

/** Who asks, as rag sees them: their org, and their user for per-store access lists. */
export interface Caller {
  orgId: string
  userId: string
  keyId: string | null
}

export const callerOf = (identity: Identity): Caller => ({
  orgId: identity.orgId,
  userId: identity.userId,
  keyId: identity.keyId,
})

/**
 * The SQL condition that a vector store (alias `v`) is the caller's to see: their org, and either
 * open to the whole org or listing them. `$org` and `$user` are the placeholders holding them.
 * Every statement that reads or changes a store, its files or its batches goes through it.
 */
export const storeVisible = (org: string, user: string) =>
  `v.org_id = ${org} AND (v.access_user_ids IS NULL OR ${user} = ANY(v.access_user_ids))`
