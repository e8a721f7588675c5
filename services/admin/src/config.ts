import { Duration } from '@switchyard/config'
import { type Static, Type } from 'typebox'

export const AdminConfig = Type.Object({
  /** Name of the first org, created at start when set with the owner's email and no org exists yet. */
  ADMIN_BOOTSTRAP_ORG: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  /**
   * Email of that org's first owner. A single target logs what it made, never the key (mint one with
   * `switchyard keys create`); `switchyard start` (all) prints it once and saves it (see the README).
   */
  ADMIN_BOOTSTRAP_OWNER_EMAIL: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
  /** How long a rotated key keeps working when the rotate request names no grace period. */
  ADMIN_KEY_ROTATION_GRACE_MS: Duration({ default: '24h', maximum: 30 * 86_400_000 }),
  /** A key's last_used_at is written at most this often (resolve is on every gateway cache miss). */
  ADMIN_KEY_LAST_USED_INTERVAL_MS: Duration({ default: '1m', minimum: 1_000 }),
  /** How often unpublished admin.config.v1 events are retried (a failed publish, a crash). */
  ADMIN_CONFIG_RELAY_INTERVAL_MS: Duration({ default: '10s', minimum: 100 }),
  /**
   * Ed25519 private key (PEM; or ADMIN_CONFIG_EVENTS_SIGNING_KEY_FILE) admin signs each
   * admin.config.v1 event with; consumers verify with its public half. Unset: events go unsigned.
   */
  ADMIN_CONFIG_EVENTS_SIGNING_KEY: Type.Optional(Type.String({ minLength: 1 })),
})
export type AdminConfig = Static<typeof AdminConfig>
