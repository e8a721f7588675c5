import { type Static, Type } from 'typebox'

/** A role provisioning may give: never owner (an IdP claim must not make someone who can delete the org). */
export const ProvisionedRole = Type.Union([
  Type.Literal('viewer'),
  Type.Literal('member'),
  Type.Literal('admin'),
])
export type ProvisionedRole = Static<typeof ProvisionedRole>

/** How an org treats OIDC sign-ins of people who are not members yet. */
export const OidcSettings = Type.Object(
  {
    /** A first sign-in (with an `email` claim) makes a membership; false: only members get in. */
    provisioning: Type.Boolean(),
    /** The role of a provisioned member when no role claim maps to one. */
    defaultRole: ProvisionedRole,
    /** IdP role (from the token's roles claim) -> role; the highest match wins over the default. */
    roleClaims: Type.Record(Type.String({ minLength: 1, maxLength: 200 }), ProvisionedRole, {
      maxProperties: 100,
    }),
  },
  { additionalProperties: false },
)
export type OidcSettings = Static<typeof OidcSettings>

export const defaultOidcSettings: OidcSettings = {
  provisioning: false,
  defaultRole: 'member',
  roleClaims: {},
}

export const OrgParams = Type.Object({ orgId: Type.String({ minLength: 1, maxLength: 100 }) })
