import { MemberResolution, ResolveMemberBody, resolveMembersScope } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import { applyChange } from '../db/change.ts'
import { type AdminDeps, actorOf } from '../deps.ts'
import { adminErrors } from '../errors.ts'
import { oidcRepository } from './repository.ts'
import { OidcSettings, OrgParams } from './schemas.ts'
import { resolveMember } from './service.ts'

/** An org's OIDC settings: who may sign in without being added first, and with which role. */
export function oidcSettingsRoutes(app: KitServer, deps: AdminDeps): void {
  app.get(
    '/admin/v1/orgs/:orgId/oidc',
    {
      config: { adminAccess: { role: 'viewer', write: false } },
      schema: {
        summary: 'OIDC sign-in settings of your org',
        params: OrgParams,
        response: { 200: OidcSettings },
      },
    },
    async (request) => {
      if (request.params.orgId !== request.caller.orgId)
        throw new adminErrors.NotFound('Organization', request.params.orgId)
      const settings = await oidcRepository.settings(deps.pool, request.caller.orgId)
      if (settings === null) throw new adminErrors.NotFound('Organization', request.params.orgId)
      return settings
    },
  )

  app.put(
    '/admin/v1/orgs/:orgId/oidc',
    {
      config: { adminAccess: { role: 'admin', write: true } },
      schema: {
        summary: 'Set OIDC provisioning: first sign-ins become members with a mapped or default role',
        params: OrgParams,
        body: OidcSettings,
        response: { 200: OidcSettings },
      },
    },
    async (request) => {
      const { caller, body } = request
      if (request.params.orgId !== caller.orgId)
        throw new adminErrors.NotFound('Organization', request.params.orgId)
      return applyChange(deps, actorOf(caller), async (scope) => {
        const before = await oidcRepository.settings(scope.db, caller.orgId)
        await oidcRepository.setSettings(scope.db, caller.orgId, body)
        await scope.audit({
          action: 'org.oidc.update',
          targetType: 'org',
          targetId: caller.orgId,
          details: { from: before, to: body },
        })
        return body
      })
    },
  )
}

/** The gateway's check of an OIDC sign-in against memberships (and provisioning on first sight). */
export function resolveMemberRoutes(app: KitServer, deps: AdminDeps): void {
  app.post(
    '/admin/v1/internal/members/resolve',
    {
      schema: {
        summary: `Resolve an OIDC subject's membership (internal: needs a token with ${resolveMembersScope})`,
        body: ResolveMemberBody,
        response: { 200: MemberResolution },
      },
    },
    async (request) => {
      if (!request.identity.scopes.includes(resolveMembersScope))
        throw new adminErrors.MissingScope(resolveMembersScope)
      return resolveMember(deps, request.body)
    },
  )
}
