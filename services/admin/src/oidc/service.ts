import { type MemberResolution, type ResolveMemberBody, roleScopes } from '@switchyard/contracts'
import { atLeast, type Role } from '../access/roles.ts'
import { applyChange } from '../db/change.ts'
import { newId } from '../db/ids.ts'
import type { AdminDeps } from '../deps.ts'
import { adminErrors } from '../errors.ts'
import { usersRepository } from '../users/repository.ts'
import { oidcRepository } from './repository.ts'
import type { OidcSettings, ProvisionedRole } from './schemas.ts'

/** As admin's add-member schema takes it: a token's claim is checked before it becomes a user. */
const emailShape = /^[^@\s]{1,200}@[^@\s]{1,200}$/

const answer = (orgId: string, userId: string, role: Role, provisioned: boolean): MemberResolution => ({
  orgId,
  userId,
  role,
  scopes: [...roleScopes[role]],
  provisioned,
})

/** The highest role the token's roles map to in the org's claim mapping, else the org's default. */
export function provisionedRole(settings: OidcSettings, roles: readonly string[]): ProvisionedRole {
  let best: ProvisionedRole | undefined
  for (const claim of roles) {
    const mapped = Object.hasOwn(settings.roleClaims, claim) ? settings.roleClaims[claim] : undefined
    if (mapped !== undefined && (best === undefined || atLeast(mapped, best))) best = mapped
  }
  return best ?? settings.defaultRole
}

/**
 * The membership an OIDC sign-in stands for (the gateway asks on each cache miss). In order: the
 * membership linked to the subject; a member added by that (IdP-verified) email and not linked
 * yet, which is linked now; a new member, when the org provisions, the token has an email and the
 * subject is not one of a member an admin removed.
 * Anyone else, and any org that does not exist or was deleted, is ADMIN_ERR_NOT_A_MEMBER.
 */
export async function resolveMember(deps: AdminDeps, who: ResolveMemberBody): Promise<MemberResolution> {
  const found = await oidcRepository.findMember(deps.pool, who.orgId, who.subject)
  if (found !== null) return answer(who.orgId, found.userId, found.role, false)
  const settings = await oidcRepository.settings(deps.pool, who.orgId)
  if (settings === null || who.email === null || !emailShape.test(who.email))
    throw new adminErrors.NotAMember()
  const email = who.email
  // A system change made by the sign-in itself: audited in the org with the new member as actor.
  const actor = { orgId: who.orgId, userId: null, keyId: null, requestId: null }
  return applyChange(deps, actor, async (scope) => {
    await usersRepository.lockEmail(scope.db, who.orgId, email)
    // Another sign-in of the same person may have won the lock first.
    const raced = await oidcRepository.findMember(scope.db, who.orgId, who.subject)
    if (raced !== null) return answer(who.orgId, raced.userId, raced.role, false)
    const byEmail = await usersRepository.findMemberByEmail(scope.db, who.orgId, email)
    if (byEmail !== null) {
      if (await oidcRepository.subjectOf(scope.db, who.orgId, byEmail.userId))
        throw new adminErrors.NotAMember()
      await oidcRepository.linkSubject(scope.db, who.orgId, byEmail.userId, who.subject)
      await scope.audit({
        action: 'user.oidc.link',
        targetType: 'user',
        targetId: byEmail.userId,
        details: { subject: who.subject, email },
      })
      return answer(who.orgId, byEmail.userId, byEmail.role, false)
    }
    // A member an admin removed stays out until an admin adds them again.
    if (!settings.provisioning || (await oidcRepository.wasRemoved(scope.db, who.orgId, who.subject)))
      throw new adminErrors.NotAMember()
    const role = provisionedRole(settings, who.roles)
    const userId = newId('user')
    await usersRepository.insertUser(scope.db, { id: userId, email, name: who.name })
    await usersRepository.addMembership(scope.db, who.orgId, userId, role)
    await oidcRepository.linkSubject(scope.db, who.orgId, userId, who.subject)
    await scope.audit({
      action: 'user.oidc.provision',
      targetType: 'user',
      targetId: userId,
      details: { subject: who.subject, email, role },
    })
    return answer(who.orgId, userId, role, true)
  })
}
