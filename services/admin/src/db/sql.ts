import type { SqlPool } from '@switchyard/kit'
import { adminErrors } from '../errors.ts'

/** What a repository runs statements on: the pool, or the client of an open transaction. */
export interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>
}

interface PooledClient extends Queryable {
  release(error?: Error | boolean): void
}

/**
 * A pool that lends a client for a transaction: pg.Pool, which the runtime passes in both shapes
 * (PGlite is reached through a socket). The kit's SqlPool type does not name connect() (yet).
 */
export interface TransactionalPool extends SqlPool {
  connect(): Promise<PooledClient>
}

export function asTransactional(sql: SqlPool | undefined): TransactionalPool {
  if (sql === undefined || typeof (sql as Partial<TransactionalPool>).connect !== 'function') {
    throw new adminErrors.NoTransactions()
  }
  return sql as TransactionalPool
}

/**
 * Runs `fn` in one transaction on one client: committed if it resolves, rolled back if it throws.
 * A client whose ROLLBACK failed is destroyed rather than returned to the pool mid-transaction.
 */
export async function transaction<T>(pool: TransactionalPool, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const client = await pool.connect()
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
