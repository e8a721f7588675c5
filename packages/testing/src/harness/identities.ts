import type { Identity } from '@switchyard/contracts'

// The callers of every service's tests, as the gateway would forward them. alice and bob share an
// org; eve has alice's user id in another org, so a tenancy bug that keys on the user id shows.

export const alice: Identity = { orgId: 'org_acme', userId: 'user_alice', keyId: 'key_alice', scopes: [] }
export const bob: Identity = { orgId: 'org_acme', userId: 'user_bob', keyId: 'key_bob', scopes: [] }
export const eve: Identity = { orgId: 'org_other', userId: 'user_alice', keyId: 'key_eve', scopes: [] }

/** Someone signed in without an API key (an OIDC session through the gateway). */
export const session = (orgId: string, userId: string, scopes: string[] = []): Identity => ({
  orgId,
  userId,
  keyId: null,
  scopes,
})
