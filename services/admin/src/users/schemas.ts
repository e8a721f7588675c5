import { type Static, Type } from 'typebox'
import { Role } from '../access/roles.ts'

export const Email = Type.String({ minLength: 3, maxLength: 320, pattern: '^[^@\\s]+@[^@\\s]+$' })

/** A user as one org sees them: their membership in that org. */
export const Member = Type.Object({
  userId: Type.String(),
  email: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  role: Role,
  joinedAt: Type.String({ format: 'date-time' }),
})
export type Member = Static<typeof Member>

export const UserParams = Type.Object({ userId: Type.String({ minLength: 1, maxLength: 100 }) })

export const AddMemberBody = Type.Object(
  {
    /** The new member's address: unique in this org; a user of another org with it is not touched. */
    email: Email,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    role: Role,
  },
  { additionalProperties: false },
)
export type AddMemberBody = Static<typeof AddMemberBody>

export const UpdateMemberBody = Type.Object({ role: Role }, { additionalProperties: false })
