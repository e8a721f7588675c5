import type { Role } from '../access/roles.ts'
import type { Queryable } from '../db/sql.ts'
import { defaultOidcSettings, type OidcSettings, type ProvisionedRole } from './schemas.ts'

/** OIDC subjects of memberships and each org's OIDC settings; every statement filters on org_id. */
export const oidcRepository = {
  /**
   * The member an OIDC subject signs in as, in a live org: the membership linked to the subject,
   * else one whose user id is the subject itself (how sign-ins matched before subjects were linked).
   */
  async findMember(
    db: Queryable,
    orgId: string,
    subject: string,
  ): Promise<{ userId: string; role: Role } | null> {
    const { rows } = await db.query<{ user_id: string; role: Role }>(
      `SELECT m.user_id, m.role FROM memberships m JOIN orgs o ON o.id = m.org_id AND o.deleted_at IS NULL
        WHERE m.org_id = $1 AND (m.oidc_subject = $2 OR (m.oidc_subject IS NULL AND m.user_id = $2))
        ORDER BY (m.oidc_subject = $2) DESC NULLS LAST LIMIT 1`,
      [orgId, subject],
    )
    const row = rows[0]
    return row ? { userId: row.user_id, role: row.role } : null
  },

  /** The subject a membership is linked to, or null. */
  async subjectOf(db: Queryable, orgId: string, userId: string): Promise<string | null> {
    const { rows } = await db.query<{ oidc_subject: string | null }>(
      'SELECT oidc_subject FROM memberships WHERE org_id = $1 AND user_id = $2',
      [orgId, userId],
    )
    return rows[0]?.oidc_subject ?? null
  },

  /** Links the membership to the subject; a subject linked again is no longer one removed. */
  async linkSubject(db: Queryable, orgId: string, userId: string, subject: string): Promise<void> {
    await db.query('UPDATE memberships SET oidc_subject = $3 WHERE org_id = $1 AND user_id = $2', [
      orgId,
      userId,
      subject,
    ])
    await db.query('DELETE FROM oidc_removed_subjects WHERE org_id = $1 AND subject = $2', [orgId, subject])
  },

  /** Remembers the subject of a member being removed, so provisioning does not let them back in. */
  async rememberRemoved(db: Queryable, orgId: string, userId: string): Promise<void> {
    await db.query(
      `INSERT INTO oidc_removed_subjects (org_id, subject)
       SELECT org_id, oidc_subject FROM memberships
        WHERE org_id = $1 AND user_id = $2 AND oidc_subject IS NOT NULL
       ON CONFLICT (org_id, subject) DO UPDATE SET removed_at = now()`,
      [orgId, userId],
    )
  },

  async wasRemoved(db: Queryable, orgId: string, subject: string): Promise<boolean> {
    const { rows } = await db.query(
      'SELECT 1 FROM oidc_removed_subjects WHERE org_id = $1 AND subject = $2',
      [orgId, subject],
    )
    return rows.length > 0
  },

  /** The org's settings (the defaults when never set), or null when the org does not exist or was deleted. */
  async settings(db: Queryable, orgId: string): Promise<OidcSettings | null> {
    const { rows } = await db.query<{
      provisioning: boolean | null
      default_role: ProvisionedRole | null
      role_claims: Record<string, ProvisionedRole> | null
    }>(
      `SELECT s.provisioning, s.default_role, s.role_claims
         FROM orgs o LEFT JOIN org_oidc_settings s ON s.org_id = o.id
        WHERE o.id = $1 AND o.deleted_at IS NULL`,
      [orgId],
    )
    const row = rows[0]
    if (!row) return null
    if (row.provisioning === null) return { ...defaultOidcSettings }
    return {
      provisioning: row.provisioning,
      defaultRole: row.default_role ?? defaultOidcSettings.defaultRole,
      roleClaims: row.role_claims ?? {},
    }
  },

  async setSettings(db: Queryable, orgId: string, settings: OidcSettings): Promise<void> {
    await db.query(
      `INSERT INTO org_oidc_settings (org_id, provisioning, default_role, role_claims, updated_at)
       VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (org_id) DO UPDATE
         SET provisioning = $2, default_role = $3, role_claims = $4, updated_at = now()`,
      [orgId, settings.provisioning, settings.defaultRole, JSON.stringify(settings.roleClaims)],
    )
  },
}
