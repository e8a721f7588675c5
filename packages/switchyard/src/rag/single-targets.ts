// Rag as it runs in production: the llm-router, rag and (when asked) rag-worker each a target of its
// own on the real PostgreSQL + pgvector, Kafka, Redis and S3 server, reached over HTTP, with a fresh
// database per test file. The test plays the gateway: every request carries a fresh internal token.
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Identity } from '@switchyard/contracts'
import { createInternalTokenSigner, generateInternalKeyPair } from '@switchyard/kit'
import { llmRouterService } from '@switchyard/llm-router'
import { ragService, ragWorkerService } from '@switchyard/rag'
import { migrate, type Switchyard, start } from '@switchyard/runtime'
import { getInfra } from '@switchyard/testing'
import OpenAI from 'openai'
import pg from 'pg'

export interface RagTargets {
  /** The official client against rag's own listener, as `identity`. */
  openai: OpenAI
  identity: Identity
  /** rag's database, to look behind the API. */
  sql: pg.Pool
  /** The environment of a rag-worker target on these backends: for start() or a child process. */
  workerEnv: Record<string, string>
  /** Starts a rag-worker target in this process. */
  startWorker(env?: Record<string, string>): Promise<Switchyard>
  close(): Promise<void>
}

/** The server a single target listens on. */
function listenerUrl(switchyard: Switchyard): string {
  const address = switchyard.app.server.address()
  return typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : switchyard.url
}

/**
 * Starts the router (its catalog from `models`) and rag, whose stores embed with `fake-embed`
 * unless they name another model; the worker only through `startWorker`.
 */
export async function startRagTargets(models: object): Promise<RagTargets> {
  const infra = getInfra()
  const root = await mkdtemp(join(tmpdir(), 'rag-it-'))
  const keys = generateInternalKeyPair()
  const workerKeys = generateInternalKeyPair()
  const signer = createInternalTokenSigner({ privateKey: keys.privateKey })
  const database = `switchyard_rag_e2e_${randomUUID().replaceAll('-', '')}`
  const admin = new pg.Client({ connectionString: infra.pgvectorUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${database}`)
  const url = new URL(infra.pgvectorUrl)
  url.pathname = `/${database}`
  const sql = new pg.Pool({ connectionString: url.toString(), max: 2 })
  sql.on('error', () => {})
  // `switchyard migrate --target=rag` does this in a deployment.
  await migrate(sql, [ragService])

  const started: Switchyard[] = []
  const common = {
    SWITCHYARD_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SWITCHYARD_HOST: '127.0.0.1',
    SWITCHYARD_PORT: '0',
    INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    SHUTDOWN_GRACE_MS: '1s',
  }
  const launch = async (target: string, services: object, env: Record<string, string>) => {
    const switchyard = await start({
      target,
      services,
      homeDir: root,
      env: { ...common, SWITCHYARD_DATA_DIR: join(root, `${target}-${started.length}`), ...env },
    })
    started.push(switchyard)
    return switchyard
  }
  try {
    const router = await launch(
      'llm-router',
      { 'llm-router': llmRouterService },
      {
        REDIS_URL: infra.redisUrl,
        LLM_ROUTER_MODELS: JSON.stringify({ models }),
        INTERNAL_TOKEN_WORKER_PUBLIC_KEY: workerKeys.publicKey,
        // Admin's catalogs on the shared Kafka (other tests') are signed with other keys: dropped,
        // so this catalog stays the router's.
        LLM_ROUTER_CONFIG_EVENTS_PUBLIC_KEY: generateInternalKeyPair().publicKey,
      },
    )
    const backends = {
      DATABASE_URL: url.toString(),
      SWITCHYARD_S3_ENDPOINT: infra.s3Endpoint,
      SWITCHYARD_S3_REGION: infra.s3Region,
      SWITCHYARD_S3_ACCESS_KEY_ID: infra.s3AccessKeyId,
      SWITCHYARD_S3_SECRET_ACCESS_KEY: infra.s3SecretAccessKey,
      SWITCHYARD_S3_BUCKET: infra.s3Bucket,
      // rag and its worker call only the router: every peer URL is the router's.
      SWITCHYARD_SERVICE_URL_TEMPLATE: listenerUrl(router),
    }
    const rag = await launch(
      'rag',
      { rag: ragService },
      { ...backends, RAG_DEFAULT_EMBEDDING_MODEL: 'fake-embed', RAG_OUTBOX_RELAY_INTERVAL_MS: '200ms' },
    )
    const workerEnv = {
      ...common,
      ...backends,
      INTERNAL_TOKEN_WORKER_PRIVATE_KEY: workerKeys.privateKey,
      // Events another test's worker took (same consumer group, another database) are swept up soon.
      RAG_WORKER_UNCLAIMED_AFTER_MS: '2s',
      RAG_WORKER_SWEEP_INTERVAL_MS: '200ms',
    }
    const identity: Identity = {
      orgId: `org_${randomUUID().slice(0, 8)}`,
      userId: 'user_e2e',
      keyId: 'key_e2e',
      scopes: ['files:read', 'files:write', 'llm:use'],
    }
    // The gateway's part: each request gets a token of its own (they live 60 s).
    const withToken: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers)
      headers.set('authorization', `Bearer ${await signer.sign(identity)}`)
      return fetch(input, { ...init, headers })
    }
    return {
      openai: new OpenAI({
        baseURL: `${listenerUrl(rag)}/v1`,
        apiKey: 'minted-per-request',
        fetch: withToken,
        maxRetries: 0,
      }),
      identity,
      sql,
      workerEnv,
      startWorker: (env = {}) =>
        launch('rag-worker', { 'rag-worker': ragWorkerService }, { ...workerEnv, ...env }),
      async close() {
        for (const switchyard of started.reverse()) await switchyard.close()
        await sql.end()
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
        await admin.end()
        await rm(root, { recursive: true, force: true })
      },
    }
  } catch (error) {
    for (const switchyard of started.reverse()) await switchyard.close()
    await sql.end()
    await admin.end()
    throw error
  }
}
