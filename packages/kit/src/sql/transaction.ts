import type { SqlClient, SqlPool, SqlQueryable } from '../service-definition.ts'

/**
 * Runs `fn` in one transaction on one client: committed if it resolves, rolled back if it throws.
 * A client whose ROLLBACK failed is destroyed rather than returned to the pool mid-transaction.
 */
export async function transaction<T>(pool: SqlPool, fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
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
