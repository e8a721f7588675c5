// Test support for integration tests on the real PostgreSQL: a database of the test's own, with
// admin's migrations applied, dropped at the end.
import { randomUUID } from 'node:crypto'
import { migrate } from '@switchyard/runtime'
import { getInfra } from '@switchyard/testing'
import pg from 'pg'
import { adminService } from '../service.ts'

export interface ScratchDatabase {
  /** Its connection string. */
  url: URL
  pool: pg.Pool
  /** Ends the pool and drops the database. */
  drop(): Promise<void>
}

export async function openScratchDatabase(label: string): Promise<ScratchDatabase> {
  const { postgresUrl } = getInfra()
  const name = `switchyard_${label}_${randomUUID().replaceAll('-', '')}`
  const root = new pg.Client({ connectionString: postgresUrl })
  await root.connect()
  await root.query(`CREATE DATABASE ${name}`)
  const url = new URL(postgresUrl)
  url.pathname = `/${name}`
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 })
  pool.on('error', () => {})
  await migrate(pool, [adminService])
  return {
    url,
    pool,
    async drop() {
      await pool.end()
      await root.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await root.end()
    },
  }
}
