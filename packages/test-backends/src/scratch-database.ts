// A database of a test's own on the integration servers, so tests that migrate, bootstrap or count
// rows never see each other's data; dropped (connections forced closed) when the test is done.
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { getInfra } from './infra-env.ts'

export interface ScratchDatabase {
  /** Its connection string. */
  url: URL
  /** A pool on it (`max` connections); ended by drop(). */
  pool: pg.Pool
  /** Ends the pool and drops the database. */
  drop(): Promise<void>
}

export interface ScratchDatabaseOptions {
  /** The plain PostgreSQL (default) or the one with pgvector. */
  server?: 'postgres' | 'pgvector'
  /** The pool's size; 4 by default. */
  max?: number
}

/** Creates `switchyard_<label>_<uuid>` on the chosen server. */
export async function createScratchDatabase(
  label: string,
  { server = 'postgres', max = 4 }: ScratchDatabaseOptions = {},
): Promise<ScratchDatabase> {
  const infra = getInfra()
  const serverUrl = server === 'pgvector' ? infra.pgvectorUrl : infra.postgresUrl
  const name = `switchyard_${label}_${randomUUID().replaceAll('-', '')}`
  const root = new pg.Client({ connectionString: serverUrl })
  await root.connect()
  await root.query(`CREATE DATABASE ${name}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const pool = new pg.Pool({ connectionString: url.toString(), max })
  // DROP DATABASE ... WITH (FORCE) ends connections still closing; that is expected, not an error.
  pool.on('error', () => {})
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
