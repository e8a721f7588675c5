// Rag and rag-worker as the one-process shape runs them (the runtime's own `start`: in-process bus,
// objects in a folder, the router reached in process), except that their SQL is the native
// PostgreSQL + pgvector the bench names instead of the embedded PGlite: each is registered through
// a wrapper that hands its plugin a pool on a database of the bench's own (created, migrated,
// dropped at the end). The
// pool records statements on request, so the floor can replay exactly what a search sent.
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Identity } from '@switchyard/contracts'
import {
  createInternalTokenSigner,
  generateInternalKeyPair,
  type ServiceDefinition,
  type SqlPool,
} from '@switchyard/kit'
import { ragService, ragWorkerService } from '@switchyard/rag'
import { migrate, type ServiceRegistry, type Switchyard, start } from '@switchyard/runtime'
import pg from 'pg'

/** One statement as rag sent it, on the pool or on a client it borrowed. */
export interface Statement {
  text: string
  values: unknown[]
}

/** The pool rag runs on: the real one, recording what it is sent while `recording` is set. */
export interface RecordingPool extends SqlPool {
  recording: Statement[] | null
}

function recordingPool(pool: pg.Pool): RecordingPool {
  const recorder: RecordingPool = {
    recording: null,
    query(text, values) {
      recorder.recording?.push({ text, values: values ?? [] })
      return pool.query(text, values)
    },
    async connect() {
      const client = await pool.connect()
      return {
        query(text, values) {
          recorder.recording?.push({ text, values: values ?? [] })
          return client.query(text, values)
        },
        release: (destroy) => client.release(destroy),
      }
    },
    end: () => pool.end(),
  } as RecordingPool
  return recorder
}

export interface PlatformOptions {
  /** A PostgreSQL with pgvector where the bench may create a database. */
  databaseUrl: string
  /** What rag calls as 'llm-router': the real router over some upstream, or a stand-in. */
  router: ServiceDefinition
  /** Config of the services (the router's catalog, rag's settings). */
  env: Record<string, string>
  log: (line: string) => void
}

export interface Platform {
  /** Rag's own server, listening on loopback. */
  ragUrl: string
  /** The caller's headers: an internal token as the gateway would forward it. */
  headers: Record<string, string>
  identity: Identity
  /** The pool rag runs on. */
  sql: RecordingPool
  /** A connection string to the bench's database, for the floor's own client. */
  databaseUrl: string
  close(): Promise<void>
}

const identity: Identity = {
  orgId: 'org_bench',
  userId: 'user_bench',
  keyId: 'key_bench',
  scopes: ['files:read', 'files:write', 'llm:use'],
}

export async function startPlatform(o: PlatformOptions): Promise<Platform> {
  const database = `bench_rag_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  const admin = new pg.Client({ connectionString: o.databaseUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${database}`)
  const url = new URL(o.databaseUrl)
  url.pathname = `/${database}`
  const databaseUrl = url.toString()
  // As the runtime opens DATABASE_URL for a service: ten connections.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 })
  let closing = false
  pool.on('error', (err) => {
    if (!closing) o.log(`idle PostgreSQL connection failed: ${err.message}`)
  })
  const root = await mkdtemp(join(tmpdir(), 'bench-rag-'))
  let switchyard: Switchyard | undefined
  const close = async () => {
    closing = true
    await switchyard?.close()
    await pool.end()
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {})
    await admin.end()
    await rm(root, { recursive: true, force: true })
    o.log(`dropped database ${database}`)
  }
  try {
    await migrate(pool, [ragService])
    o.log(`database ${database} on ${url.host}, migrated`)
    const sql = recordingPool(pool)
    const keys = generateInternalKeyPair()
    const signer = createInternalTokenSigner({ privateKey: keys.privateKey, ttlSeconds: 24 * 3_600 })
    // Rag and its worker without `sql` in their needs, so the runtime opens no PGlite: the
    // wrappers give their plugins the pool.
    const rag: typeof ragService = {
      ...ragService,
      needs: ragService.needs.filter((need) => need !== 'sql'),
      plugin: async (app, ctx) => app.register(ragService.plugin, { ...ctx, sql }),
    }
    const worker: typeof ragWorkerService = {
      ...ragWorkerService,
      needs: ragWorkerService.needs.filter((need) => need !== 'sql'),
      plugin: async (app, ctx) => app.register(ragWorkerService.plugin, { ...ctx, sql }),
    }
    const services: ServiceRegistry = { rag, 'rag-worker': worker, 'llm-router': o.router }
    switchyard = await start({
      services,
      homeDir: root,
      listen: false,
      env: {
        SWITCHYARD_DATA_DIR: join(root, 'data'),
        SWITCHYARD_LOG_LEVEL: 'warn',
        INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
        INTERNAL_TOKEN_PRIVATE_KEY: keys.privateKey,
        SHUTDOWN_GRACE_MS: '1s',
        ...o.env,
      },
    })
    const app = switchyard.apps.rag
    if (app === undefined) throw new Error('the runtime did not start rag')
    await app.listen({ host: '127.0.0.1', port: 0 })
    const ragUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    const headers = { authorization: `Bearer ${await signer.sign(identity)}` }
    return { ragUrl, headers, identity, sql, databaseUrl, close }
  } catch (error) {
    await close()
    throw error
  }
}
