import { type Static, Type } from 'typebox'

// The gateway resolves API keys through admin (`POST /admin/v1/internal/keys/resolve`): admin
// answers with this shape and the gateway checks it, so both read it from here.

/** Scope of the internal token the gateway resolves keys with; admin refuses any other caller. */
export const resolveKeysScope = 'internal:keys:resolve'

/** The body the gateway sends: the key as the caller presented it. */
export const ResolveKeyBody = Type.Object(
  { key: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
)
export type ResolveKeyBody = Static<typeof ResolveKeyBody>

/** admin's answer for a valid key: the identity the gateway puts in its internal token. */
export const KeyResolution = Type.Object({
  orgId: Type.String({ minLength: 1 }),
  userId: Type.String({ minLength: 1 }),
  keyId: Type.String({ minLength: 1 }),
  scopes: Type.Array(Type.String()),
  /** ISO time the key stops working (expiry or rotation grace); null: only when revoked. */
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
})
export type KeyResolution = Static<typeof KeyResolution>
