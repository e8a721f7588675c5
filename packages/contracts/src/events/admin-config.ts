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

/**
 * One event per changed item, keyed by the item (`adminConfigKey`): changes to one thing arrive in
 * order, and the topic is compacted, so it keeps each item's latest state for a consumer that
 * starts from the beginning. Payloads per kind:
 * - `routes` (orgId null): `{ alias, model }`, the alias's entry of the llm-router's catalog
 *   (`CatalogSpec.models[alias]`), or `model: null` when the alias is gone or cannot serve.
 * - `budget`: `{ scope: 'org' | 'user' | 'key', subjectId, budget: { amountUsd, period } | null }`.
 * - `prices` (orgId null): `{ alias, prices }`; `key-revoked`: `{ keyId }`;
 *   `prompt-label`: `{ prompt, label, version }`; `member-changed`: `{ userId }`.
 */
export const adminConfigV1 = defineTopic('admin.config.v1', AdminConfigV1, { compacted: true })

const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '')

/**
 * The item an event is about, as its partition key: one item's changes stay in order, and
 * compaction keeps each item's latest. Versions are per (kind, org), hence rising per item too, so
 * a consumer keeps the highest version per key.
 */
export function adminConfigKey(change: Pick<AdminConfigV1, 'kind' | 'orgId' | 'payload'>): string {
  const org = change.orgId ?? 'platform'
  const p = change.payload
  switch (change.kind) {
    case 'routes':
    case 'prices':
      return `${change.kind}:${org}:${text(p.alias)}`
    case 'budget':
      return `budget:${org}:${text(p.scope)}:${text(p.subjectId)}`
    case 'key-revoked':
      return `key-revoked:${org}:${text(p.keyId)}`
    case 'prompt-label':
      return `prompt-label:${org}:${text(p.prompt)}:${text(p.label)}`
    case 'member-changed':
      // `userId: null` (the whole org) is an item of its own.
      return `member-changed:${org}:${p.userId === null ? '*' : text(p.userId)}`
  }
}
