import type { KitServer } from '@switchyard/kit'
import { Type } from 'typebox'
import type { Caller } from '../access/caller.ts'
import type { Role } from '../access/roles.ts'
import { applyChange, type ChangeScope } from '../db/change.ts'
import { newId } from '../db/ids.ts'
import { type AdminDeps, actorOf } from '../deps.ts'
import { adminErrors } from '../errors.ts'
import { revokeKeysOf } from '../keys/service.ts'
import { oidcRepository } from '../oidc/repository.ts'
import { usersRepository } from './repository.ts'
import { AddMemberBody, Member, UpdateMemberBody, UserParams } from './schemas.ts'

/** Owners are made and unmade by owners only. */
function mayAssign(caller: Caller, role: Role): void {
  if (role === 'owner' && caller.role !== 'owner')
    throw new adminErrors.Forbidden('Only owners grant or take the owner role')
}

/** An org keeps at least one owner: someone must be able to manage it. */
async function keepAnOwner(scope: ChangeScope, orgId: string, leaving: string): Promise<void> {
  const owners = await usersRepository.lockOwners(scope.db, orgId)
  if (owners.length === 1 && owners[0] === leaving) {
    throw new adminErrors.Conflict('An organization needs at least one owner; make someone else owner first')
  }
}

export function usersRoutes(app: KitServer, deps: AdminDeps): void {
  const { pool } = deps

  app.get(
    '/admin/v1/users',
    {
      config: { adminAccess: { role: 'viewer', write: false } },
      schema: {
        summary: 'Members of your org',
        response: { 200: Type.Object({ data: Type.Array(Member) }) },
      },
    },
    async (request) => ({ data: await usersRepository.list(pool, request.caller.orgId) }),
  )

  app.post(
    '/admin/v1/users',
    {
      config: { adminAccess: { role: 'admin', write: true } },
      schema: {
        summary: 'Add a member: a new user of this org with that email',
        body: AddMemberBody,
        response: { 201: Member },
      },
    },
    async (request, reply) => {
      const { caller, body } = request
      mayAssign(caller, body.role)
      const member = await applyChange(deps, actorOf(caller), async (scope) => {
        // Only this org's members are looked at: a user elsewhere with this address is neither
        // joined nor shown, and the answer is the same whether or not one exists.
        await usersRepository.lockEmail(scope.db, caller.orgId, body.email)
        if (await usersRepository.findMemberByEmail(scope.db, caller.orgId, body.email))
          throw new adminErrors.Conflict(`${body.email} is already a member`)
        const userId = newId('user')
        await usersRepository.insertUser(scope.db, { id: userId, email: body.email, name: body.name ?? null })
        const added = await usersRepository.addMembership(scope.db, caller.orgId, userId, body.role)
        await scope.audit({
          action: 'user.add',
          targetType: 'user',
          targetId: userId,
          details: { email: added.email, role: added.role },
        })
        return added
      })
      return reply.code(201).send(member)
    },
  )

  app.get(
    '/admin/v1/users/:userId',
    {
      config: { adminAccess: { role: 'viewer', write: false } },
      schema: { summary: 'One member', params: UserParams, response: { 200: Member } },
    },
    async (request) => {
      const member = await usersRepository.get(pool, request.caller.orgId, request.params.userId)
      if (member === null) throw new adminErrors.NotFound('User', request.params.userId)
      return member
    },
  )

  app.patch(
    '/admin/v1/users/:userId',
    {
      config: { adminAccess: { role: 'admin', write: true } },
      schema: {
        summary: "Change a member's role",
        params: UserParams,
        body: UpdateMemberBody,
        response: { 200: Member },
      },
    },
    async (request) => {
      const { caller } = request
      const { userId } = request.params
      return applyChange(deps, actorOf(caller), async (scope) => {
        const before = await usersRepository.get(scope.db, caller.orgId, userId)
        if (before === null) throw new adminErrors.NotFound('User', userId)
        mayAssign(caller, before.role)
        mayAssign(caller, request.body.role)
        if (before.role === 'owner' && request.body.role !== 'owner')
          await keepAnOwner(scope, caller.orgId, userId)
        const member = (await usersRepository.setRole(
          scope.db,
          caller.orgId,
          userId,
          request.body.role,
        )) as Member
        await scope.audit({
          action: 'user.role.change',
          targetType: 'user',
          targetId: userId,
          details: { from: before.role, to: member.role },
        })
        // Gateways cache OIDC members with their role: they drop this one now.
        await scope.announce('member-changed', caller.orgId, { userId })
        return member
      })
    },
  )

  app.delete(
    '/admin/v1/users/:userId',
    {
      config: { adminAccess: { role: 'admin', write: true } },
      schema: { summary: 'Remove a member; their keys in this org are revoked', params: UserParams },
    },
    async (request, reply) => {
      const { caller } = request
      const { userId } = request.params
      await applyChange(deps, actorOf(caller), async (scope) => {
        const before = await usersRepository.get(scope.db, caller.orgId, userId)
        if (before === null) throw new adminErrors.NotFound('User', userId)
        mayAssign(caller, before.role)
        if (before.role === 'owner') await keepAnOwner(scope, caller.orgId, userId)
        await oidcRepository.rememberRemoved(scope.db, caller.orgId, userId)
        await usersRepository.remove(scope.db, caller.orgId, userId)
        const revoked = await revokeKeysOf(scope, caller.orgId, { userId })
        await scope.audit({
          action: 'user.remove',
          targetType: 'user',
          targetId: userId,
          details: { email: before.email, role: before.role, revokedKeys: revoked },
        })
        // Their keys are revoked above; this ends their OIDC sessions at the gateways.
        await scope.announce('member-changed', caller.orgId, { userId })
      })
      return reply.code(204).send()
    },
  )
}
