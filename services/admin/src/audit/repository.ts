import { iso, type Queryable } from '../db/sql.ts'

export interface AuditEntry {
  /** `<resource>.<verb>`, e.g. `key.revoke`, `prompt.label.move`. */
  action: string
  targetType: string
  targetId: string | null
  details?: Record<string, unknown>
}

export interface AuditActor {
  userId: string | null
  keyId: string | null
  requestId: string | null
}

export interface AuditRecord extends AuditEntry {
  id: string
  orgId: string
  actorUserId: string | null
  actorKeyId: string | null
  requestId: string | null
  details: Record<string, unknown>
  createdAt: string
}

interface AuditRow extends Record<string, unknown> {
  id: string
  org_id: string
  actor_user_id: string | null
  actor_key_id: string | null
  action: string
  target_type: string
  target_id: string | null
  details: Record<string, unknown>
  request_id: string | null
  created_at: Date
}

/** The audit log of one org. Append-only: there is no update here, and the database refuses one. */
export const auditRepository = {
  async append(db: Queryable, orgId: string, actor: AuditActor, entry: AuditEntry): Promise<void> {
    await db.query(
      `INSERT INTO audit_log (org_id, actor_user_id, actor_key_id, action, target_type, target_id, details, request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        orgId,
        actor.userId,
        actor.keyId,
        entry.action,
        entry.targetType,
        entry.targetId,
        JSON.stringify(entry.details ?? {}),
        actor.requestId,
      ],
    )
  },

  /** Newest first; `before` is the id of the last entry of the previous page. */
  async list(
    db: Queryable,
    orgId: string,
    filter: {
      limit: number
      before?: string | undefined
      action?: string | undefined
      targetId?: string | undefined
    },
  ): Promise<AuditRecord[]> {
    const { rows } = await db.query<AuditRow>(
      `SELECT id::text, org_id, actor_user_id, actor_key_id, action, target_type, target_id, details, request_id, created_at
         FROM audit_log
        WHERE org_id = $1
          AND ($2::bigint IS NULL OR id < $2::bigint)
          AND ($3::text IS NULL OR action = $3 OR action LIKE $3 || '.%')
          AND ($4::text IS NULL OR target_id = $4)
        ORDER BY id DESC
        LIMIT $5`,
      [orgId, filter.before ?? null, filter.action ?? null, filter.targetId ?? null, filter.limit],
    )
    return rows.map((row) => ({
      id: row.id,
      orgId: row.org_id,
      actorUserId: row.actor_user_id,
      actorKeyId: row.actor_key_id,
      action: row.action,
      targetType: row.target_type,
      targetId: row.target_id,
      details: row.details,
      requestId: row.request_id,
      createdAt: iso(row.created_at) as string,
    }))
  },
}
