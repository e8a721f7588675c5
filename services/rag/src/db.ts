import type { SqlClient, SqlPool, SqlQueryable } from '@switchyard/kit'
import { ragErrors } from './errors.ts'

/** What a repository runs statements on: the pool, or the client of an open transaction. */
export type Queryable = SqlQueryable

export function asTransactional(sql: SqlPool | undefined): SqlPool {
  if (sql === undefined) throw new ragErrors.NoSql()
  return sql
}

/**
 * Runs `fn` in one transaction on one client: committed if it resolves, rolled back if it throws.
 * A client whose ROLLBACK failed is destroyed rather than returned to the pool mid-transaction.
 */
export async function transaction<T>(pool: SqlPool, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const client: SqlClient = await pool.connect()
  try {
    await client.query('BEGIN')
    const result = await fn(client)
    await client.query('COMMIT')
    client.release()
    return result
  } catch (error) {
    const broken = await client.query('ROLLBACK').then(
      () => false,
      () => true,
    )
    client.release(broken)
    throw error
  }
}

/** Seconds since the epoch, as OpenAI's `created_at` fields are, from a timestamptz (pg: Date). */
export function unixSeconds(value: Date | string): number {
  return Math.floor((value instanceof Date ? value : new Date(value)).getTime() / 1000)
}

/** The same for a nullable column. */
export const unixSecondsOrNull = (value: Date | string | null): number | null =>
  value === null ? null : unixSeconds(value)
