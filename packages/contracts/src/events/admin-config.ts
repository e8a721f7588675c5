import { type Static, Type } from 'typebox'
import { defineTopic } from '../topic.ts'
import { OrgId } from './common.ts'

/**
 * What changed: model routes, the price table, a revoked API key, a budget, a prompt's label, a
 * membership (`member-changed`: `{ userId }` removed or given another role; `{ userId: null }` the
 * whole org, deleted).
 */
export const AdminConfigKind = Type.Enum([
  'routes',
  'prices',
  'key-revoked',
  'budget',
  'prompt-label',
  'member-changed',
])
export type AdminConfigKind = Static<typeof AdminConfigKind>

/**
 * A configuration change for hot reload. Producer: admin. Consumers: llm-router, gateway. A consumer
 * that sees a version older than the one it holds for (kind, orgId) drops the event.
 */
export const AdminConfigV1 = Type.Object({
  kind: AdminConfigKind,
  /** The org the change applies to; null for platform-wide changes (routes, prices). */
  orgId: Type.Union([OrgId, Type.Null()]),
  /** Monotonic per (kind, orgId). */
  version: Type.Integer({ minimum: 1 }),
  /** The new state for this kind, e.g. `{ keyId }` for key-revoked; its shape belongs to admin. */
  payload: Type.Record(Type.String(), Type.Unknown()),
  /**
   * Admin's Ed25519 signature (base64url) of the other fields in canonical JSON
   * (`signEventData` in @switchyard/events); consumers holding admin's public key drop an event
   * without a valid one.
   */
  signature: Type.Optional(Type.String({ minLength: 1 })),
})
export type AdminConfigV1 = Static<typeof AdminConfigV1>

/** Keyed by kind and orgId: changes to one thing arrive in order. */
export const adminConfigV1 = defineTopic('admin.config.v1', AdminConfigV1)
