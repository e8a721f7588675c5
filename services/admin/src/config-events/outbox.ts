import type { KeyObject } from 'node:crypto'
import {
  type AdminConfigKind,
  type AdminConfigV1,
  adminConfigKey,
  adminConfigV1,
} from '@switchyard/contracts'
import { createOutboxRelay, type EventBus, type OutboxRelay, signEventData } from '@switchyard/events'
import type { Logger } from 'pino'
import type { Queryable } from '../db/sql.ts'
import { adminErrors } from '../errors.ts'

/**
 * Records an admin.config.v1 event inside the caller's transaction: the version is taken from the
 * (kind, org) counter, whose row lock orders concurrent changes, so versions follow commit order.
 * The relay publishes it once the transaction has committed.
 */
export async function enqueueConfigEvent(
  db: Queryable,
  kind: AdminConfigKind,
  orgId: string | null,
  payload: Record<string, unknown>,
): Promise<number> {
  const json = JSON.stringify(payload)
  const bytes = Buffer.byteLength(json)
  // Refused now, while the change can still be rolled back, rather than committed and never announced.
  if (bytes > maxPayloadBytes) {
    throw new adminErrors.Conflict(
      `This change cannot be announced: its ${kind} event would be ${bytes} bytes, over the ${maxPayloadBytes} limit`,
    )
  }
  const { rows } = await db.query<{ version: string }>(
    `INSERT INTO config_versions (kind, scope, version) VALUES ($1, $2, 1)
     ON CONFLICT (kind, scope) DO UPDATE SET version = config_versions.version + 1
     RETURNING version::text`,
    [kind, orgId ?? ''],
  )
  const version = Number(rows[0]?.version)
  await db.query('INSERT INTO config_outbox (kind, org_id, version, payload) VALUES ($1, $2, $3, $4)', [
    kind,
    orgId,
    version,
    json,
  ])
  return version
}

/** Largest payload an event may carry: half of Kafka's default 1 MB, leaving room for the envelope. */
export const maxPayloadBytes = 512 * 1024

export type ConfigRelay = OutboxRelay

type ConfigOutboxRow = {
  kind: AdminConfigKind
  org_id: string | null
  version: string
  payload: Record<string, unknown>
}

/**
 * Publishes config_outbox to admin.config.v1 (the shared relay of @switchyard/events: one org's
 * event the bus refuses is set aside, and no other org waits for it). Two replicas may publish one
 * row twice; consumers drop a version they already hold, so that is harmless. Published rows are
 * kept a week, a record of what was announced.
 */
export function createConfigRelay(options: {
  db: Queryable
  bus: EventBus
  logger: Logger
  intervalMs: number
  /** Admin's config-event signing key: each event carries its signature. */
  signingKey?: KeyObject | undefined
}): ConfigRelay {
  const { signingKey, ...rest } = options
  return createOutboxRelay({
    ...rest,
    outbox: {
      table: 'config_outbox',
      columns: 'kind, org_id, version::text AS version, payload',
      topic: adminConfigV1,
      keepPublished: '7 days',
      toEvent: (row: ConfigOutboxRow) => {
        const data: AdminConfigV1 = {
          kind: row.kind,
          orgId: row.org_id,
          version: Number(row.version),
          payload: row.payload,
        }
        // Signed as it goes out, not when written: JSONB keeps no key order, canonical JSON does.
        if (signingKey) data.signature = signEventData(data, signingKey)
        // Keyed by the item: its changes stay in order, and compaction keeps its latest.
        return { key: adminConfigKey(data), data }
      },
    },
  })
}
