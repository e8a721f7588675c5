import type { SqlPool, SqlQueryable } from '@switchyard/kit'
import { adminErrors } from '../errors.ts'

/** What a repository runs statements on: the pool, or the client of an open transaction. */
export type Queryable = SqlQueryable

export function asTransactional(sql: SqlPool | undefined): SqlPool {
  if (sql === undefined) throw new adminErrors.NoTransactions()
  return sql
}

/** One transaction on one client (kit's): committed if `fn` resolves, rolled back if it throws. */
export { transaction } from '@switchyard/kit'

/** Postgres SQLSTATE of a failed query, if it is one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

export const isUniqueViolation = (error: unknown) => sqlState(error) === '23505'
export const isForeignKeyViolation = (error: unknown) => sqlState(error) === '23503'

/** An ISO string from a timestamptz column (pg returns Date), or null. */
export function iso(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null
  return (value instanceof Date ? value : new Date(value)).toISOString()
}

/** The same for a NOT NULL column. */
export const isoOf = (value: Date | string): string => iso(value) as string

/** pg returns numeric and bigint as strings, so no precision is lost on the way. */
export const num = (value: string | number | null | undefined): number => Number(value ?? 0)
