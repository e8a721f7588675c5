import type { Identity } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import type { Queryable } from '../db/sql.ts'
import { adminErrors } from '../errors.ts'
import { type Access, adminScopes, atLeast, type Role } from './roles.ts'

/** Who is calling, as admin sees them: the identity plus their role in its org. */
export interface Caller {
  orgId: string
  userId: string
  keyId: string | null
  /** The scopes of the API key the caller came through; null for a session (limited by role alone). */
  keyScopes: string[] | null
  role: Role
  /** Member of the operator org. */
  operator: boolean
  requestId: string
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on routes with `config.adminAccess`, after the role and scope checks passed. */
    caller: Caller
  }
  interface FastifyContextConfig {
    /** The role and scope an admin route needs; routes without it check for themselves. */
    adminAccess?: Access
  }
}

/** The caller's membership, or null when they have none (or the org was deleted). */
export async function findMembership(
  db: Queryable,
  orgId: string,
  userId: string,
): Promise<{ role: Role; operator: boolean } | null> {
  const { rows } = await db.query<{ role: Role; is_operator: boolean }>(
    `SELECT m.role, o.is_operator FROM memberships m JOIN orgs o ON o.id = m.org_id
      WHERE m.org_id = $1 AND m.user_id = $2 AND o.deleted_at IS NULL`,
    [orgId, userId],
  )
  const row = rows[0]
  return row ? { role: row.role, operator: row.is_operator } : null
}

/** Checks a caller against a route's needs: scope first (cheap), then membership and role. */
export async function authorize(
  db: Queryable,
  identity: Identity,
  access: Access,
  requestId: string,
): Promise<Caller> {
  if (identity.keyId !== null) {
    const ok = access.write
      ? identity.scopes.includes(adminScopes.write)
      : identity.scopes.includes(adminScopes.read) || identity.scopes.includes(adminScopes.write)
    if (!ok) throw new adminErrors.MissingScope(access.write ? adminScopes.write : adminScopes.read)
  }
  const membership = await findMembership(db, identity.orgId, identity.userId)
  if (membership === null) throw new adminErrors.NotAMember()
  if (access.operator && !membership.operator) {
    throw new adminErrors.Forbidden('Only the platform operator organization can do this')
  }
  if (!atLeast(membership.role, access.role)) {
    throw new adminErrors.Forbidden(
      `This needs the ${access.role} role or higher; you are ${membership.role}`,
    )
  }
  return {
    orgId: identity.orgId,
    userId: identity.userId,
    keyId: identity.keyId,
    keyScopes: identity.keyId === null ? null : identity.scopes,
    role: membership.role,
    operator: membership.operator,
    requestId,
  }
}

/**
 * Checks every route that declares `config.adminAccess`, before its body is validated: a caller
 * who may not use a route learns nothing about what it accepts.
 */
export function installAccessControl(app: KitServer, db: Queryable): void {
  app.decorateRequest('caller', null as unknown as Caller)
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.adminAccess
    if (access === undefined) return
    request.caller = await authorize(db, request.identity, access, request.id)
  })
}
