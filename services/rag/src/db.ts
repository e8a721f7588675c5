import type { SqlPool, SqlQueryable } from '@switchyard/kit'
import { ragErrors } from './errors.ts'

/** What a repository runs statements on: the pool, or the client of an open transaction. */
export type Queryable = SqlQueryable

export function asTransactional(sql: SqlPool | undefined): SqlPool {
  if (sql === undefined) throw new ragErrors.NoSql()
  return sql
}

/** One transaction on one client (kit's): committed if `fn` resolves, rolled back if it throws. */
export { transaction } from '@switchyard/kit'

/** Seconds since the epoch, as OpenAI's `created_at` fields are, from a timestamptz (pg: Date). */
export function unixSeconds(value: Date | string): number {
  return Math.floor((value instanceof Date ? value : new Date(value)).getTime() / 1000)
}

/** The same for a nullable column. */
export const unixSecondsOrNull = (value: Date | string | null): number | null =>
  value === null ? null : unixSeconds(value)
