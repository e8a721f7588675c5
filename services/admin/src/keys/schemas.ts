import { type Static, Type } from 'typebox'

const Timestamp = Type.String({ format: 'date-time' })
const NullableTimestamp = Type.Union([Timestamp, Type.Null()])

/** A scope as keys carry it: `chat:write`, `admin:read`, `rag:*`. */
export const ScopeName = Type.String({ pattern: '^[a-z][a-z0-9_-]*(:[a-z0-9_*-]+)*$', maxLength: 100 })

/** An API key as every route shows it: never its secret. */
export const ApiKey = Type.Object({
  id: Type.String(),
  orgId: Type.String(),
  userId: Type.String(),
  name: Type.String(),
  /** Public start of the key, to tell keys apart. */
  prefix: Type.String(),
  scopes: Type.Array(Type.String()),
  /** active; rotating (replaced, works until graceUntil); rotated, expired or revoked (does not work). */
  status: Type.Union([
    Type.Literal('active'),
    Type.Literal('rotating'),
    Type.Literal('rotated'),
    Type.Literal('expired'),
    Type.Literal('revoked'),
  ]),
  expiresAt: NullableTimestamp,
  lastUsedAt: NullableTimestamp,
  revokedAt: NullableTimestamp,
  /** On a key made by rotation: the key it replaced. */
  rotatedFrom: Type.Union([Type.String(), Type.Null()]),
  /** On a replaced key: it keeps working until then. */
  graceUntil: NullableTimestamp,
  createdBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
})
export type ApiKey = Static<typeof ApiKey>

/** A key with its secret: the one response that carries it. */
export const CreatedApiKey = Type.Object({
  key: ApiKey,
  /** The whole API key. Shown once: store it now, it cannot be read again. */
  secret: Type.String(),
})
export type CreatedApiKey = Static<typeof CreatedApiKey>

export const KeyParams = Type.Object({ keyId: Type.String({ minLength: 1, maxLength: 100 }) })

export const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    scopes: Type.Array(ScopeName, { maxItems: 50, default: [] }),
    /** When the key stops working; absent: never. Must be in the future. */
    expiresAt: Type.Optional(Timestamp),
    /** Whose key it is; default the caller. Only admins and owners make keys for others. */
    userId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
)
export type CreateKeyBody = Static<typeof CreateKeyBody>

export const RotateKeyBody = Type.Object(
  {
    /** How long the old key keeps working, in seconds (0: it stops now). Default: ADMIN_KEY_ROTATION_GRACE_MS. */
    gracePeriodSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86_400 })),
  },
  { additionalProperties: false },
)
export type RotateKeyBody = Static<typeof RotateKeyBody>

export const RotatedApiKey = Type.Object({
  key: ApiKey,
  secret: Type.String(),
  /** The replaced key, with its grace deadline. */
  previous: ApiKey,
})

export const ListKeysQuery = Type.Object(
  {
    /** Only this user's keys (admins and owners; others always see only their own). */
    userId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    includeRevoked: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
)
