import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

/**
 * Connections the local socket accepts. PGlite runs one query at a time; the socket multiplexes
 * connections onto it (a connection inside a transaction keeps it until COMMIT), so more connections
 * only let more callers queue. The pg.Pool in front of it must use the same number: a connection past
 * this limit is refused with "Too many connections".
 */
export const PGLITE_MAX_CONNECTIONS = 8

export interface LocalPostgres {
  /** postgres:// URL of the local socket, for `pg`. */
  url: string
  /** PGlite itself, for readiness (it answers without a socket round trip). */
  db: PGlite
  /** Stops the socket, then closes the database (flushing it to `dataDir`). */
  close(): Promise<void>
}

/**
 * PGlite with pgvector, served over the Postgres wire protocol on 127.0.0.1 and a free port, so the
 * same `pg` code runs against it as against PostgreSQL. `dataDir` undefined keeps it in memory.
 */
export async function startLocalPostgres(options: { dataDir?: string } = {}): Promise<LocalPostgres> {
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true })
  const db = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    extensions: { vector },
  })
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: 0,
    maxConnections: PGLITE_MAX_CONNECTIONS,
  })
  try {
    await server.start()
  } catch (error) {
    await db.close()
    throw error
  }
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    db,
    async close() {
      await server.stop()
      await db.close()
    },
  }
}
