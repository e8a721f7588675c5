import type { KitServer } from '@switchyard/kit'
import { Type } from 'typebox'
import type { AdminDeps } from '../deps.ts'
import { auditRepository } from './repository.ts'

export const AuditRecord = Type.Object({
  id: Type.String(),
  orgId: Type.String(),
  actorUserId: Type.Union([Type.String(), Type.Null()]),
  actorKeyId: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  targetType: Type.String(),
  targetId: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
  requestId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
})

export const AuditQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    /** The id of the last entry of the previous page. */
    before: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$' })),
    /** An action (`key.revoke`) or a prefix of one (`key`, `prompt.label`). */
    action: Type.Optional(Type.String({ pattern: '^[a-z_]+(\\.[a-z_]+)*$', maxLength: 100 })),
    targetId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
)

export function auditRoutes(app: KitServer, deps: AdminDeps): void {
  app.get(
    '/admin/v1/audit',
    {
      config: { adminAccess: { role: 'admin', write: false } },
      schema: {
        summary: 'The audit log of your org, newest first',
        querystring: AuditQuery,
        response: {
          200: Type.Object({
            data: Type.Array(AuditRecord),
            nextBefore: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const data = await auditRepository.list(deps.pool, request.caller.orgId, request.query)
      const last = data.at(-1)
      return { data, nextBefore: data.length === request.query.limit && last ? last.id : null }
    },
  )
}
