import type { Role } from '../access/roles.ts'
import { isoOf, type Queryable } from '../db/sql.ts'
import type { Member } from './schemas.ts'

interface MemberRow extends Record<string, unknown> {
  user_id: string
  email: string
  name: string | null
  role: Role
  created_at: Date
}

const toMember = (row: MemberRow): Member => ({
  userId: row.user_id,
  email: row.email,
  name: row.name,
  role: row.role,
  joinedAt: isoOf(row.created_at),
})

const memberColumns = 'u.id AS user_id, u.email, u.name, m.role, m.created_at'

/**
 * Members of one org. Users carry no org id, so they are reached through memberships, filtered by
 * org id; only `insertUser` touches users alone (an add always makes a new user).
 */
export const usersRepository = {
  async list(db: Queryable, orgId: string): Promise<Member[]> {
    const { rows } = await db.query<MemberRow>(
      `SELECT ${memberColumns} FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.org_id = $1 ORDER BY m.created_at, u.id`,
      [orgId],
    )
    return rows.map(toMember)
  },

  async get(db: Queryable, orgId: string, userId: string): Promise<Member | null> {
    const { rows } = await db.query<MemberRow>(
      `SELECT ${memberColumns} FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.org_id = $1 AND m.user_id = $2`,
      [orgId, userId],
    )
    return rows[0] ? toMember(rows[0]) : null
  },

  /**
   * The member of this org with that address (any case), if any. A user of another org with the
   * same address is not looked at: an add never reaches, joins or reveals them.
   */
  async findMemberByEmail(db: Queryable, orgId: string, email: string): Promise<Member | null> {
    const { rows } = await db.query<MemberRow>(
      `SELECT ${memberColumns} FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.org_id = $1 AND lower(u.email) = lower($2)`,
      [orgId, email],
    )
    return rows[0] ? toMember(rows[0]) : null
  },

  /** Holds adds of this address to this org one at a time until the transaction ends. */
  async lockEmail(db: Queryable, orgId: string, email: string): Promise<void> {
    await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`member:${orgId}:${email.toLowerCase()}`])
  },

  async insertUser(db: Queryable, user: { id: string; email: string; name: string | null }): Promise<void> {
    await db.query('INSERT INTO users (id, email, name) VALUES ($1, $2, $3)', [
      user.id,
      user.email,
      user.name,
    ])
  },

  async addMembership(db: Queryable, orgId: string, userId: string, role: Role): Promise<Member> {
    await db.query('INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)', [
      orgId,
      userId,
      role,
    ])
    return (await usersRepository.get(db, orgId, userId)) as Member
  },

  async setRole(db: Queryable, orgId: string, userId: string, role: Role): Promise<Member | null> {
    const { rowCount } = await db.query(
      'UPDATE memberships SET role = $3, updated_at = now() WHERE org_id = $1 AND user_id = $2',
      [orgId, userId, role],
    )
    return rowCount ? usersRepository.get(db, orgId, userId) : null
  },

  async remove(db: Queryable, orgId: string, userId: string): Promise<boolean> {
    const { rowCount } = await db.query('DELETE FROM memberships WHERE org_id = $1 AND user_id = $2', [
      orgId,
      userId,
    ])
    return (rowCount ?? 0) > 0
  },

  /**
   * The org's owners, their rows locked until the transaction ends: two admins demoting the last
   * two owners at once cannot both succeed.
   */
  async lockOwners(db: Queryable, orgId: string): Promise<string[]> {
    const { rows } = await db.query<{ user_id: string }>(
      `SELECT user_id FROM memberships WHERE org_id = $1 AND role = 'owner' ORDER BY user_id FOR UPDATE`,
      [orgId],
    )
    return rows.map((row) => row.user_id)
  },
}
