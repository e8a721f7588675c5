// Runs PGlite and its Postgres-protocol socket on a worker thread (see pglite.ts for why).
// Protocol: workerData { dataDir?, maxConnections } in; { ready, url } or { failed, message } out;
// a 'close' message stops the socket, closes the database (flushing it to disk), answers 'closed'.
import { mkdir } from 'node:fs/promises'
import { parentPort, workerData } from 'node:worker_threads'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

const { dataDir, maxConnections } = workerData as { dataDir?: string; maxConnections: number }
const port = parentPort
if (!port) throw new Error('pglite-worker.ts runs as a worker thread')

try {
  if (dataDir) await mkdir(dataDir, { recursive: true })
  const db = await PGlite.create({ ...(dataDir ? { dataDir } : {}), extensions: { vector } })
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections })
  await server.start()
  port.on('message', async (message) => {
    if (message !== 'close') return
    await server.stop()
    await db.close()
    port.postMessage({ closed: true })
    port.close()
  })
  port.postMessage({ ready: true, url: `postgres://postgres@${server.getServerConn()}/postgres` })
} catch (error) {
  port.postMessage({ failed: true, message: error instanceof Error ? error.message : String(error) })
}
