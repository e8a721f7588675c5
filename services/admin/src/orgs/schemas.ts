import { type Static, Type } from 'typebox'
import { ApiKey } from '../keys/schemas.ts'
import { Email, Member } from '../users/schemas.ts'

export const Org = Type.Object({
  id: Type.String(),
  name: Type.String(),
  /** The platform operator's org: manages the model catalog and creates orgs. */
  operator: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
export type Org = Static<typeof Org>

export const OrgName = Type.String({ minLength: 1, maxLength: 200 })

export const OrgParams = Type.Object({ orgId: Type.String({ minLength: 1, maxLength: 100 }) })

export const CreateOrgBody = Type.Object(
  {
    name: OrgName,
    ownerEmail: Email,
    ownerName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
)
export type CreateOrgBody = Static<typeof CreateOrgBody>

export const UpdateOrgBody = Type.Object({ name: OrgName }, { additionalProperties: false })

/** A new org with its first owner and their key; the secret is shown in this response only. */
export const CreatedOrg = Type.Object({
  org: Org,
  owner: Member,
  key: ApiKey,
  secret: Type.String(),
})
export type CreatedOrg = Static<typeof CreatedOrg>
