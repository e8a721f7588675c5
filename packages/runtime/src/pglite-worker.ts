// Runs PGlite and its Postgres-protocol socket on a worker thread (see pglite.ts for why).
// Protocol: workerData { dataDir?, template?, maxConnections, socketPath } in; { ready } or { failed, message } out;
// a 'close' message stops the socket, closes the database (flushing it to disk), answers 'closed'.
import { access, mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

const { dataDir, template, maxConnections, socketPath } = workerData as {
  dataDir?: string
  template?: string
  maxConnections: number
  socketPath: string
}
const port = parentPort
if (!port) throw new Error('pglite-worker.ts runs as a worker thread')

try {
  if (dataDir) await mkdir(dataDir, { recursive: true })
  // A new database is unpacked from the install's template (see pglite-template.ts) instead of
  // running initdb; an existing one (PG_VERSION present) is opened as it is.
  const exists = dataDir
    ? await access(join(dataDir, 'PG_VERSION')).then(
        () => true,
        () => false,
      )
    : false
  const loadDataDir = template && !exists ? new Blob([await readFile(template)]) : undefined
  const db = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    ...(loadDataDir ? { loadDataDir } : {}),
    extensions: { vector },
  })
  const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections })
  await server.start()
  port.on('message', async (message) => {
    if (message !== 'close') return
    await server.stop()
    await db.close()
    port.postMessage({ closed: true })
    port.close()
  })
  port.postMessage({ ready: true })
} catch (error) {
  const message = error instanceof Error ? error.message : String(error)
  port.postMessage({ failed: true, message: template ? `${message} (template ${template})` : message })
}
