import { type Static, Type } from 'typebox'

/** A member's role in an org, lowest first: each role can do what the ones before it can. */
export const roles = ['viewer', 'member', 'admin', 'owner'] as const
export const Role = Type.Union([
  Type.Literal('viewer'),
  Type.Literal('member'),
  Type.Literal('admin'),
  Type.Literal('owner'),
])
export type Role = Static<typeof Role>

export function atLeast(role: Role, minimum: Role): boolean {
  return roles.indexOf(role) >= roles.indexOf(minimum)
}

/** The roles above `role`: whoever holds one is out of its reach (their keys above all). */
export function rolesAbove(role: Role): Role[] {
  return roles.slice(roles.indexOf(role) + 1)
}

/**
 * What a route needs. Reads need `admin:read` (or `admin:write`) on an API key; writes need
 * `admin:write`. A session without a key (OIDC) is limited by its role alone.
 */
export interface Access {
  role: Role
  write: boolean
  /** Only the operator org's members (the model catalog, creating orgs). */
  operator?: boolean
}

/** Scopes an API key needs to use the admin API at all; the caller's role still applies. */
export const adminScopes = { read: 'admin:read', write: 'admin:write' } as const

/** Scope of the internal token the gateway calls `POST /admin/v1/internal/keys/resolve` with. */
export { resolveKeysScope } from '@switchyard/contracts'

/** Scope of the internal token the llm-router reads the whole catalog with. */
export const catalogReadScope = 'internal:catalog:read'
