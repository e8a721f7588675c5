import type { KitServer } from '@switchyard/kit'
import type { Caller } from '../access/caller.ts'
import { applyChange } from '../db/change.ts'
import { type AdminDeps, actorOf } from '../deps.ts'
import { adminErrors } from '../errors.ts'
import { revokeKeysOf } from '../keys/service.ts'
import { orgsRepository } from './repository.ts'
import { CreatedOrg, CreateOrgBody, Org, OrgParams, UpdateOrgBody } from './schemas.ts'
import { createOrgWithOwner } from './service.ts'

/** Callers reach their own org only; any other id is "not found", whatever their role. */
function ownOrg(caller: Caller, orgId: string): string {
  if (orgId !== caller.orgId) throw new adminErrors.NotFound('Organization', orgId)
  return orgId
}

export function orgsRoutes(app: KitServer, deps: AdminDeps): void {
  const { pool } = deps

  app.post(
    '/admin/v1/orgs',
    {
      config: { adminAccess: { role: 'admin', write: true, operator: true } },
      schema: {
        summary: 'Create an org with its first owner (operator only); the owner key is in this response only',
        body: CreateOrgBody,
        response: { 201: CreatedOrg },
      },
    },
    async (request, reply) => {
      const created = await applyChange(deps, actorOf(request.caller), async (scope) => {
        const result = await createOrgWithOwner(scope, { ...request.body, operator: false })
        await scope.audit({
          action: 'org.create',
          targetType: 'org',
          targetId: result.org.id,
          details: { name: result.org.name },
        })
        return result
      })
      return reply.code(201).send(created)
    },
  )

  app.get(
    '/admin/v1/orgs/:orgId',
    {
      config: { adminAccess: { role: 'viewer', write: false } },
      schema: { summary: 'Your org', params: OrgParams, response: { 200: Org } },
    },
    async (request) => {
      const org = await orgsRepository.get(pool, ownOrg(request.caller, request.params.orgId))
      if (org === null) throw new adminErrors.NotFound('Organization', request.params.orgId)
      return org
    },
  )

  app.patch(
    '/admin/v1/orgs/:orgId',
    {
      config: { adminAccess: { role: 'admin', write: true } },
      schema: { summary: 'Rename your org', params: OrgParams, body: UpdateOrgBody, response: { 200: Org } },
    },
    async (request) => {
      const orgId = ownOrg(request.caller, request.params.orgId)
      return applyChange(deps, actorOf(request.caller), async (scope) => {
        const before = await orgsRepository.get(scope.db, orgId)
        const org = await orgsRepository.rename(scope.db, orgId, request.body.name)
        if (before === null || org === null) throw new adminErrors.NotFound('Organization', orgId)
        await scope.audit({
          action: 'org.update',
          targetType: 'org',
          targetId: orgId,
          details: { from: { name: before.name }, to: { name: org.name } },
        })
        return org
      })
    },
  )

  app.delete(
    '/admin/v1/orgs/:orgId',
    {
      config: { adminAccess: { role: 'owner', write: true } },
      schema: {
        summary: 'Delete your org: members lose access and every key stops working',
        params: OrgParams,
      },
    },
    async (request, reply) => {
      const orgId = ownOrg(request.caller, request.params.orgId)
      if (request.caller.operator) {
        throw new adminErrors.Conflict(
          'The operator organization cannot be deleted: the platform would have no operator',
        )
      }
      await applyChange(deps, actorOf(request.caller), async (scope) => {
        if (!(await orgsRepository.softDelete(scope.db, orgId)))
          throw new adminErrors.NotFound('Organization', orgId)
        const revoked = await revokeKeysOf(scope, orgId, {})
        await scope.audit({
          action: 'org.delete',
          targetType: 'org',
          targetId: orgId,
          details: { revokedKeys: revoked },
        })
        // Every member's OIDC sessions end at the gateways (their keys are revoked above).
        await scope.announce('member-changed', orgId, { userId: null })
      })
      return reply.code(204).send()
    },
  )
}
