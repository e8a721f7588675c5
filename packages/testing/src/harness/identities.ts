import { type Identity, roleScopes } from '@switchyard/contracts'

// The callers of every service's tests, as the gateway would forward them. alice and bob share an
// org; eve has alice's user id in another org, so a tenancy bug that keys on the user id shows.
// Each carries what a member's key without a scope list resolves to: every scope.

const member = [...roleScopes.member]
export const alice: Identity = { orgId: 'org_acme', userId: 'user_alice', keyId: 'key_alice', scopes: member }
export const bob: Identity = { orgId: 'org_acme', userId: 'user_bob', keyId: 'key_bob', scopes: member }
export const eve: Identity = { orgId: 'org_other', userId: 'user_alice', keyId: 'key_eve', scopes: member }

/** Someone signed in without an API key (an OIDC session through the gateway): a member's scopes. */
export const session = (orgId: string, userId: string, scopes: string[] = member): Identity => ({
  orgId,
  userId,
  keyId: null,
  scopes,
})
