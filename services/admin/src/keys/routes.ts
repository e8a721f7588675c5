import { KeyResolution, ResolveKeyBody } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import { Type } from 'typebox'
import { atLeast, resolveKeysScope, rolesAbove } from '../access/roles.ts'
import type { AdminDeps } from '../deps.ts'
import { adminErrors } from '../errors.ts'
import { keysRepository } from './repository.ts'
import type { KeyResolver } from './resolve.ts'
import {
  ApiKey,
  CreatedApiKey,
  CreateKeyBody,
  KeyParams,
  ListKeysQuery,
  RotatedApiKey,
  RotateKeyBody,
} from './schemas.ts'
import { createKey, revokeKey, rotateKey, visibleKey } from './service.ts'

export function keysRoutes(app: KitServer, deps: AdminDeps): void {
  const { pool } = deps

  app.get(
    '/admin/v1/keys',
    {
      config: { adminAccess: { role: 'viewer', write: false } },
      schema: {
        summary: "List API keys (admins: the org's; others: their own)",
        querystring: ListKeysQuery,
        response: { 200: Type.Object({ data: Type.Array(ApiKey) }) },
      },
    },
    async (request) => {
      const { caller } = request
      const mine = !atLeast(caller.role, 'admin')
      const userId = mine ? caller.userId : request.query.userId
      return {
        data: await keysRepository.list(pool, caller.orgId, {
          userId,
          includeRevoked: request.query.includeRevoked,
          hiddenRoles: rolesAbove(caller.role),
        }),
      }
    },
  )

  app.post(
    '/admin/v1/keys',
    {
      config: { adminAccess: { role: 'member', write: true } },
      schema: {
        summary: 'Create an API key; the secret is in this response only',
        body: CreateKeyBody,
        response: { 201: CreatedApiKey },
      },
    },
    async (request, reply) => reply.code(201).send(await createKey(deps, request.caller, request.body)),
  )

  app.get(
    '/admin/v1/keys/:keyId',
    {
      config: { adminAccess: { role: 'viewer', write: false } },
      schema: { summary: 'One API key', params: KeyParams, response: { 200: ApiKey } },
    },
    async (request) => visibleKey(pool, request.caller, request.params.keyId),
  )

  app.post(
    '/admin/v1/keys/:keyId/rotate',
    {
      config: { adminAccess: { role: 'member', write: true } },
      schema: {
        summary: 'Replace a key; the old one works until its grace deadline',
        params: KeyParams,
        // A rotate without a body (Fastify hands the validator null) uses the default grace.
        body: Type.Union([RotateKeyBody, Type.Null()]),
        response: { 201: RotatedApiKey },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await rotateKey(deps, request.caller, request.params.keyId, request.body ?? {})),
  )

  app.post(
    '/admin/v1/keys/:keyId/revoke',
    {
      // Anyone may revoke their own key: that only ever makes things safer.
      config: { adminAccess: { role: 'viewer', write: true } },
      schema: {
        summary: 'Revoke a key at once (announced as key-revoked)',
        params: KeyParams,
        response: { 200: ApiKey },
      },
    },
    async (request) => revokeKey(deps, request.caller, request.params.keyId),
  )
}

/** The gateway's lookup: a presented key to the identity it stands for. */
export function resolveKeyRoutes(app: KitServer, resolver: KeyResolver): void {
  app.post(
    '/admin/v1/internal/keys/resolve',
    {
      schema: {
        summary: `Resolve an API key (internal: needs a token with ${resolveKeysScope})`,
        body: ResolveKeyBody,
        response: { 200: KeyResolution },
      },
    },
    async (request) => {
      if (!request.identity.scopes.includes(resolveKeysScope))
        throw new adminErrors.MissingScope(resolveKeysScope)
      return resolver.resolve(request.body.key)
    },
  )
}
