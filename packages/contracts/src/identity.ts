import { type Static, Type } from 'typebox'

/** Who is calling: carried by the gateway's short-lived internal token, verified by every service. */
export const Identity = Type.Object({
  orgId: Type.String({ minLength: 1 }),
  userId: Type.String({ minLength: 1 }),
  /** The API key used, or null for an OIDC login. */
  keyId: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  scopes: Type.Array(Type.String()),
})
export type Identity = Static<typeof Identity>
