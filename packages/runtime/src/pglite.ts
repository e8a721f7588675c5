import { once } from 'node:events'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { findTemplate } from './pglite-template.ts'

/**
 * Connections the local socket accepts. PGlite runs one query at a time; the socket multiplexes
 * connections onto it (a connection inside a transaction keeps it until COMMIT), so more connections
 * only let more callers queue. The pg.Pool in front of it must use the same number: a connection past
 * this limit is refused with "Too many connections".
 */
export const PGLITE_MAX_CONNECTIONS = 8

/** A local database being opened, e.g. by the CLI ahead of start(), with the dir it is for. */
export interface LocalPostgresOpening {
  dataDir: string
  opening: Promise<LocalPostgres>
}

export interface LocalPostgres {
  /** postgres:// URL of the local unix socket (its folder as the host), for `pg`. */
  url: string
  /** Stops the socket, then closes the database (flushing it to `dataDir`). */
  close(): Promise<void>
}

export interface StartLocalPostgresOptions {
  /** Where the database lives; undefined keeps it in memory. */
  dataDir?: string
  /** false: a new database runs initdb even when the install has a template. Default: use it. */
  template?: false
}

type WorkerMessage = { ready: true } | { failed: true; message: string } | { closed: true }

/**
 * PGlite with pgvector, served over the Postgres wire protocol, so the same `pg` code runs against it
 * as against PostgreSQL. PGlite checks no password, so it listens on a unix socket in a folder only
 * this user can enter (mkdtemp makes it 0700), never on TCP: another local user cannot connect.
 *
 * It lives on a worker thread: PGlite executes each query synchronously in WebAssembly, which on the
 * main thread would stall every HTTP request while a query runs; and opening it (for a new database,
 * unpacking the install's template or running initdb: the slowest part of a first start) overlaps
 * with the main thread building the server.
 */
export async function startLocalPostgres(options: StartLocalPostgresOptions = {}): Promise<LocalPostgres> {
  const template = options.template === false ? undefined : await findTemplate()
  const locked = options.dataDir ? await lockDataDir(options.dataDir) : async () => {}
  const socketDir = await mkdtemp(join(tmpdir(), 'switchyard-pglite-'))
  const unlock = async () => {
    await rm(socketDir, { recursive: true, force: true })
    await locked()
  }
  const worker = new Worker(new URL('./pglite-worker.ts', import.meta.url), {
    workerData: {
      dataDir: options.dataDir,
      template,
      maxConnections: PGLITE_MAX_CONNECTIONS,
      // The name `pg` looks for in a socket folder, at the default port.
      socketPath: join(socketDir, '.s.PGSQL.5432'),
    },
  })
  const exited = once(worker, 'exit').then(([code]) => code as number)
  const first = (await Promise.race([
    once(worker, 'message').then(([message]) => message),
    once(worker, 'error').then(([error]) => ({ failed: true, message: (error as Error).message })),
    exited.then((code) => ({ failed: true, message: `the PGlite thread exited with ${code}` })),
  ])) as WorkerMessage
  if (!('ready' in first)) {
    await worker.terminate()
    await unlock()
    throw new Error(
      `PGlite did not start${options.dataDir ? ` in ${options.dataDir}` : ''}: ${'message' in first ? first.message : 'no answer'}`,
    )
  }
  let closing: Promise<void> | undefined
  return {
    url: `postgres://postgres@${encodeURIComponent(socketDir)}/postgres`,
    close() {
      closing ??= (async () => {
        worker.postMessage('close')
        await Promise.race([once(worker, 'message'), exited])
        await worker.terminate()
        await unlock()
      })()
      return closing
    },
  }
}

/** Another process (or this one) has the data dir open; carries the fix in its message. */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError'
}

/** Data dirs this process has open: a second open in one process is refused like one from another. */
const held = new Set<string>()

/**
 * PGlite is single-user: two processes writing one data dir corrupt it. A `<dataDir>.lock` file with
 * the owner's pid guards it; a lock whose process is gone (killed, crashed) is taken over. A lock
 * naming this very pid is stale too unless this process holds it: in a container every start is pid 1.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockFile = `${dataDir}.lock`
  if (held.has(lockFile)) throw new DataDirInUseError(`${dataDir} is already open in this process`)
  await mkdir(dirname(lockFile), { recursive: true })
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(lockFile, String(process.pid), { flag: 'wx' })
      held.add(lockFile)
      return async () => {
        held.delete(lockFile)
        await rm(lockFile, { force: true })
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error
    }
    const pid = Number.parseInt(await readFile(lockFile, 'utf8').catch(() => ''), 10)
    if (pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new DataDirInUseError(
        `${dataDir} is in use by another switchyard (pid ${pid}); stop it, or set SWITCHYARD_DATA_DIR`,
      )
    }
    await rm(lockFile, { force: true })
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
