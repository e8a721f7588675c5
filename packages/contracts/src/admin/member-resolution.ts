import { type Static, Type } from 'typebox'

// The gateway checks every OIDC sign-in against admin's memberships
// (`POST /admin/v1/internal/members/resolve`): admin answers with this shape and the gateway
// caches it until admin announces a change (`member-changed` on admin.config.v1).

/** Scope of the internal token the gateway resolves OIDC members with; admin refuses any other caller. */
export const resolveMembersScope = 'internal:members:resolve'

/** Who signed in, as the IdP's token says: the org claim, the subject and what provisioning needs. */
export const ResolveMemberBody = Type.Object(
  {
    orgId: Type.String({ minLength: 1, maxLength: 100 }),
    /** The token's user claim (`sub` by default): stable per person at the IdP. */
    subject: Type.String({ minLength: 1, maxLength: 255 }),
    /** The `email` claim; a first sign-in is provisioned only with one. */
    email: Type.Union([Type.String({ maxLength: 320 }), Type.Null()]),
    name: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
    /** The token's roles claim, which the org's claim mapping may turn into a role on provisioning. */
    roles: Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 }),
  },
  { additionalProperties: false },
)
export type ResolveMemberBody = Static<typeof ResolveMemberBody>

/** admin's answer for a member: admin's own user id, their role now, and that role's scopes. */
export const MemberResolution = Type.Object({
  orgId: Type.String({ minLength: 1 }),
  userId: Type.String({ minLength: 1 }),
  role: Type.String({ minLength: 1 }),
  scopes: Type.Array(Type.String()),
  /** True when this call made the membership (first sign-in, provisioning on). */
  provisioned: Type.Boolean(),
})
export type MemberResolution = Static<typeof MemberResolution>
