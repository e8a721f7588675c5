import { grantsScope } from '@switchyard/kit'
import type { Caller } from '../access/caller.ts'
import { atLeast } from '../access/roles.ts'
import { applyChange, type ChangeScope } from '../db/change.ts'
import { newId } from '../db/ids.ts'
import type { Queryable } from '../db/sql.ts'
import { type AdminDeps, actorOf } from '../deps.ts'
import { adminErrors } from '../errors.ts'
import { usersRepository } from '../users/repository.ts'
import { keysRepository } from './repository.ts'
import { effectiveScopes } from './resolve.ts'
import type { ApiKey, CreatedApiKey, CreateKeyBody, RotateKeyBody } from './schemas.ts'
import { generateApiKey } from './secrets.ts'

/** Scopes only the platform's own services carry; no API key may be given one. */
const reservedScopePrefix = 'internal:'

/**
 * A key the caller may see: admins and owners see the keys of their org's members whose role is
 * not above their own (an admin never holds an owner's key), others only their own. Another
 * org's key, or one out of reach, is "not found".
 */
export async function visibleKey(
  db: Queryable,
  caller: Caller,
  keyId: string,
  options: { lock?: boolean } = {},
): Promise<ApiKey> {
  const key = await keysRepository.get(db, caller.orgId, keyId, options)
  const reachable =
    key !== null &&
    (key.userId === caller.userId ||
      (atLeast(caller.role, 'admin') && !(await isAbove(db, caller, key.userId))))
  if (!reachable) throw new adminErrors.NotFound('API key', keyId)
  return key
}

/** Whether `userId` holds a role above the caller's in the caller's org (a former member does not). */
async function isAbove(db: Queryable, caller: Caller, userId: string): Promise<boolean> {
  const member = await usersRepository.get(db, caller.orgId, userId)
  return member !== null && !atLeast(caller.role, member.role)
}

/**
 * A key made through an API key carries no scope that key lacks (`x:*` covers `x:anything`), so
 * a narrow key cannot mint a wider one. A session (no key) is limited by its role alone.
 */
function withinCallerScopes(caller: Caller, scopes: string[]): void {
  const held = caller.keyScopes
  if (held === null) return
  const beyond = scopes.filter((scope) => !grantsScope(held, scope))
  if (beyond.length > 0) {
    throw Object.assign(
      new adminErrors.Forbidden(
        `A key cannot carry scopes the credentials creating it lack: ${beyond.join(', ')}`,
      ),
      { param: 'scopes' },
    )
  }
}

/** Inserts a key for `userId` in the scope's org and writes its audit entry. */
export async function insertKey(
  scope: ChangeScope,
  orgId: string,
  input: { userId: string; name: string; scopes: string[]; expiresAt: string | null; rotatedFrom?: string },
): Promise<CreatedApiKey> {
  const generated = generateApiKey()
  const key = await keysRepository.insert(scope.db, orgId, {
    id: newId('key'),
    userId: input.userId,
    name: input.name,
    prefix: generated.prefix,
    hash: generated.hash,
    scopes: input.scopes,
    expiresAt: input.expiresAt,
    rotatedFrom: input.rotatedFrom ?? null,
    createdBy: scope.actor.userId,
  })
  await scope.audit({
    action: input.rotatedFrom ? 'key.rotate' : 'key.create',
    targetType: 'api_key',
    targetId: key.id,
    details: {
      name: key.name,
      userId: key.userId,
      scopes: key.scopes,
      expiresAt: key.expiresAt,
      ...(input.rotatedFrom && { rotatedFrom: input.rotatedFrom }),
    },
  })
  return { key, secret: generated.secret }
}

export async function createKey(
  deps: AdminDeps,
  caller: Caller,
  body: CreateKeyBody,
): Promise<CreatedApiKey> {
  const userId = body.userId ?? caller.userId
  if (userId !== caller.userId && !atLeast(caller.role, 'admin')) {
    throw new adminErrors.Forbidden('Only admins and owners create keys for other users')
  }
  const reserved = body.scopes.find((scope) => scope.startsWith(reservedScopePrefix))
  if (reserved !== undefined) {
    throw Object.assign(
      new adminErrors.InvalidRequest(`The scope ${reserved} is reserved for internal services`),
      {
        param: 'scopes',
      },
    )
  }
  if (body.expiresAt !== undefined && Date.parse(body.expiresAt) <= Date.now()) {
    throw Object.assign(new adminErrors.InvalidRequest('expiresAt must be in the future'), {
      param: 'expiresAt',
    })
  }
  return applyChange(deps, actorOf(caller), async (scope) => {
    const owner = await usersRepository.get(scope.db, caller.orgId, userId)
    if (owner === null) throw new adminErrors.NotFound('User', userId)
    // Its secret would let the caller act as someone their role does not reach.
    if (!atLeast(caller.role, owner.role)) {
      throw new adminErrors.Forbidden(`Keys of a ${owner.role} are made by a ${owner.role} or above`)
    }
    // A key without a list gets its user's role defaults: the caller must hold those too.
    withinCallerScopes(caller, effectiveScopes(body.scopes, owner.role))
    return insertKey(scope, caller.orgId, {
      userId,
      name: body.name,
      scopes: [...new Set(body.scopes)],
      expiresAt: body.expiresAt ?? null,
    })
  })
}

/**
 * A new key with the old one's owner, name, scopes and expiry; the old one keeps working until
 * its grace deadline, so clients can switch without an outage. A revoked, expired or already
 * rotated key cannot be rotated.
 */
export async function rotateKey(
  deps: AdminDeps,
  caller: Caller,
  keyId: string,
  body: RotateKeyBody,
): Promise<CreatedApiKey & { previous: ApiKey }> {
  const graceMs =
    body.gracePeriodSeconds !== undefined
      ? body.gracePeriodSeconds * 1000
      : deps.config.ADMIN_KEY_ROTATION_GRACE_MS
  return applyChange(deps, actorOf(caller), async (scope) => {
    const old = await visibleKey(scope.db, caller, keyId, { lock: true })
    if (old.status !== 'active')
      throw new adminErrors.Conflict(`The key ${keyId} is ${old.status}; only an active key can be rotated`)
    // The rotator receives the new secret: it is a new key made by them.
    const holder = await usersRepository.get(scope.db, caller.orgId, old.userId)
    withinCallerScopes(caller, holder === null ? old.scopes : effectiveScopes(old.scopes, holder.role))
    const created = await insertKey(scope, caller.orgId, {
      userId: old.userId,
      name: old.name,
      scopes: old.scopes,
      expiresAt: old.expiresAt,
      rotatedFrom: old.id,
    })
    const previous = await keysRepository.setGraceDeadline(
      scope.db,
      caller.orgId,
      old.id,
      new Date(Date.now() + graceMs),
    )
    return { ...created, previous }
  })
}

/** Revokes a key and announces it (key-revoked), so gateways drop it from their caches at once. Idempotent. */
export async function revokeKey(deps: AdminDeps, caller: Caller, keyId: string): Promise<ApiKey> {
  return applyChange(deps, actorOf(caller), async (scope) => {
    const key = await visibleKey(scope.db, caller, keyId, { lock: true })
    if (key.revokedAt !== null) return key
    const revoked = (await keysRepository.revoke(scope.db, caller.orgId, keyId)) as ApiKey
    await scope.audit({
      action: 'key.revoke',
      targetType: 'api_key',
      targetId: keyId,
      details: { name: key.name },
    })
    await scope.announce('key-revoked', caller.orgId, { keyId })
    return revoked
  })
}

/** Revokes every live key of a user in an org, or of the whole org, announcing each. */
export async function revokeKeysOf(
  scope: ChangeScope,
  orgId: string,
  filter: { userId?: string },
): Promise<string[]> {
  const ids = await keysRepository.revokeAll(scope.db, orgId, filter)
  for (const keyId of ids) await scope.announce('key-revoked', orgId, { keyId })
  return ids
}
