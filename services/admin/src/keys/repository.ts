import type { Role } from '../access/roles.ts'
import { iso, isoOf, type Queryable } from '../db/sql.ts'
import type { ApiKey } from './schemas.ts'

interface KeyRow extends Record<string, unknown> {
  id: string
  org_id: string
  user_id: string
  name: string
  prefix: string
  scopes: string[]
  expires_at: Date | null
  last_used_at: Date | null
  revoked_at: Date | null
  rotated_from: string | null
  grace_until: Date | null
  created_by: string | null
  created_at: Date
}

const columns = `id, org_id, user_id, name, prefix, scopes, expires_at, last_used_at, revoked_at,
  rotated_from, grace_until, created_by, created_at`

/** Whether a key resolves now, and if not, why. */
function statusOf(row: KeyRow, now: number): ApiKey['status'] {
  if (row.revoked_at) return 'revoked'
  if (row.expires_at && row.expires_at.getTime() <= now) return 'expired'
  if (row.grace_until) return row.grace_until.getTime() <= now ? 'rotated' : 'rotating'
  return 'active'
}

function toApiKey(row: KeyRow): ApiKey {
  return {
    id: row.id,
    orgId: row.org_id,
    userId: row.user_id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    status: statusOf(row, Date.now()),
    expiresAt: iso(row.expires_at),
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at),
    rotatedFrom: row.rotated_from,
    graceUntil: iso(row.grace_until),
    createdBy: row.created_by,
    createdAt: isoOf(row.created_at),
  }
}

export interface NewKeyRow {
  id: string
  userId: string
  name: string
  prefix: string
  hash: string
  scopes: string[]
  expiresAt: string | null
  rotatedFrom: string | null
  createdBy: string | null
}

/** What the gateway learns from a presented key. */
export interface ResolvedKey {
  orgId: string
  userId: string
  keyId: string
  /** As stored: empty for a key made without a list (its user's role defaults apply). */
  scopes: string[]
  /** Its user's role in the org now. */
  role: Role
  /** The earlier of its expiry and its rotation grace deadline: the gateway may cache until then. */
  expiresAt: Date | null
  lastUsedAt: Date | null
}

/** API keys of one org: every function takes the org id, and every statement filters on it. */
export const keysRepository = {
  async insert(db: Queryable, orgId: string, key: NewKeyRow): Promise<ApiKey> {
    const { rows } = await db.query<KeyRow>(
      `INSERT INTO api_keys (id, org_id, user_id, name, prefix, secret_hash, scopes, expires_at, rotated_from, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${columns}`,
      [
        key.id,
        orgId,
        key.userId,
        key.name,
        key.prefix,
        key.hash,
        key.scopes,
        key.expiresAt,
        key.rotatedFrom,
        key.createdBy,
      ],
    )
    return toApiKey(rows[0] as KeyRow)
  },

  /** `lock` holds the row until the transaction ends (rotate and revoke decide on its state). */
  async get(
    db: Queryable,
    orgId: string,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<ApiKey | null> {
    const { rows } = await db.query<KeyRow>(
      `SELECT ${columns} FROM api_keys WHERE org_id = $1 AND id = $2${options.lock ? ' FOR UPDATE' : ''}`,
      [orgId, id],
    )
    return rows[0] ? toApiKey(rows[0]) : null
  },

  async list(
    db: Queryable,
    orgId: string,
    filter: { userId?: string | undefined; includeRevoked: boolean; hiddenRoles?: readonly Role[] },
  ): Promise<ApiKey[]> {
    // hiddenRoles: keys of the org's members holding one of these roles are left out.
    const { rows } = await db.query<KeyRow>(
      `SELECT ${columns} FROM api_keys k
        WHERE org_id = $1 AND ($2::text IS NULL OR user_id = $2) AND ($3 OR revoked_at IS NULL)
          AND NOT EXISTS (SELECT 1 FROM memberships m
                           WHERE m.org_id = $1 AND m.user_id = k.user_id AND m.role = ANY($4::text[]))
        ORDER BY created_at DESC, id`,
      [orgId, filter.userId ?? null, filter.includeRevoked, filter.hiddenRoles ?? []],
    )
    return rows.map(toApiKey)
  },

  async revoke(db: Queryable, orgId: string, id: string): Promise<ApiKey | null> {
    const { rows } = await db.query<KeyRow>(
      `UPDATE api_keys SET revoked_at = now() WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL
       RETURNING ${columns}`,
      [orgId, id],
    )
    return rows[0] ? toApiKey(rows[0]) : null
  },

  /** Revokes every live key of a user (leaving the org) or of the whole org (deleted); returns their ids. */
  async revokeAll(db: Queryable, orgId: string, filter: { userId?: string }): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(
      `UPDATE api_keys SET revoked_at = now()
        WHERE org_id = $1 AND ($2::text IS NULL OR user_id = $2) AND revoked_at IS NULL
          AND (expires_at IS NULL OR expires_at > now()) AND (grace_until IS NULL OR grace_until > now())
        RETURNING id`,
      [orgId, filter.userId ?? null],
    )
    return rows.map((row) => row.id).sort()
  },

  async setGraceDeadline(db: Queryable, orgId: string, id: string, graceUntil: Date): Promise<ApiKey> {
    const { rows } = await db.query<KeyRow>(
      `UPDATE api_keys SET grace_until = $3 WHERE org_id = $1 AND id = $2 RETURNING ${columns}`,
      [orgId, id, graceUntil],
    )
    return toApiKey(rows[0] as KeyRow)
  },

  /**
   * The only lookup without an org id, by design: the secret is how the org is found. A key
   * resolves while it is not revoked, not expired, within its rotation grace, its org not deleted
   * and its user still a member.
   */
  async resolve(db: Queryable, hash: string): Promise<ResolvedKey | null> {
    const { rows } = await db.query<{
      id: string
      org_id: string
      user_id: string
      scopes: string[]
      role: Role
      expires_at: Date | null
      grace_until: Date | null
      last_used_at: Date | null
    }>(
      `SELECT k.id, k.org_id, k.user_id, k.scopes, m.role, k.expires_at, k.grace_until, k.last_used_at
         FROM api_keys k
         JOIN orgs o ON o.id = k.org_id AND o.deleted_at IS NULL
         JOIN memberships m ON m.org_id = k.org_id AND m.user_id = k.user_id
        WHERE k.secret_hash = $1 AND k.revoked_at IS NULL
          AND (k.expires_at IS NULL OR k.expires_at > now())
          AND (k.grace_until IS NULL OR k.grace_until > now())`,
      [hash],
    )
    const row = rows[0]
    if (!row) return null
    const deadlines = [row.expires_at, row.grace_until].filter((d): d is Date => d !== null)
    return {
      orgId: row.org_id,
      userId: row.user_id,
      keyId: row.id,
      scopes: row.scopes,
      role: row.role,
      expiresAt: deadlines.length > 0 ? new Date(Math.min(...deadlines.map((d) => d.getTime()))) : null,
      lastUsedAt: row.last_used_at,
    }
  },

  /** Sets last_used_at unless another replica did within `intervalMs`. */
  async touch(db: Queryable, orgId: string, id: string, intervalMs: number): Promise<void> {
    await db.query(
      `UPDATE api_keys SET last_used_at = now()
        WHERE org_id = $1 AND id = $2
          AND (last_used_at IS NULL OR last_used_at < now() - $3 * interval '1 millisecond')`,
      [orgId, id, intervalMs],
    )
  },
}
