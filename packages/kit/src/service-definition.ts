import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { ServiceName } from '@switchyard/contracts'
import type { EventBus } from '@switchyard/events'
import type { ObjectStore } from '@switchyard/object-store'
import type { SharedState } from '@switchyard/state'
import type { Client as CassandraClient } from 'cassandra-driver'
import type { FastifyPluginAsync, RawServerDefault } from 'fastify'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Static, TSchema } from 'typebox'
import type { Dispatcher } from 'undici'
import type { InternalTokenSigner } from './identity/internal-token.ts'
import type { ReadinessCheck } from './observability/health.ts'

/** Backends a service may ask the runtime for; readiness checks exactly these. */
export type Backend = 'sql' | 'bus' | 'state' | 'cassandra' | 'objects'

/** A minimal SQL port: what `pg.Pool` offers and PGlite-behind-pglite-socket also serves. */
export interface SqlPool extends SqlQueryable {
  /** Lends one connection, for a transaction; give it back with `release()`. */
  connect(): Promise<SqlClient>
  end(): Promise<void>
}

/** What runs a statement: the pool, or one lent connection. */
export interface SqlQueryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>
}

/** One connection lent by the pool. `release(true)` destroys it instead (e.g. a failed ROLLBACK). */
export interface SqlClient extends SqlQueryable {
  release(destroy?: Error | boolean): void
}

/** What the runtime hands a service plugin as its options. Only the runtime creates clients. */
export interface ServiceContext<Config = unknown> {
  config: Config
  logger: Logger
  metrics: Registry
  bus: EventBus
  state: SharedState
  /** Present when the service lists 'sql' in `needs`. */
  sql?: SqlPool
  /**
   * Present when the service lists 'cassandra' in `needs` and runs on its own (a single target):
   * connected, no keyspace set (name yours in each statement). In one process such a service gets
   * `sql` instead.
   */
  cassandra?: CassandraClient
  /**
   * Present when the service lists 'objects' in `needs`: a folder under the data dir in one
   * process, an S3 bucket in a single target.
   */
  objects?: ObjectStore
  /**
   * Signs internal tokens. Present only for a service whose definition sets `signsInternalTokens`
   * (the gateway): from the key pair the one-process shape makes at start, or from
   * INTERNAL_TOKEN_PRIVATE_KEY in a single target. For one that sets `signsWorkerTokens` instead,
   * it signs worker tokens (llm:use, files:read) with the worker key: INTERNAL_TOKEN_WORKER_PRIVATE_KEY,
   * or a pair made at start in one process.
   */
  signer?: InternalTokenSigner
  /** Base URL of another service: 'http://llm-router:8080' over HTTP, 'http://llm-router.internal' in one process. */
  serviceUrl(name: ServiceName): string
  /**
   * Reaches the services this one lists in `calls`, and only them (a call elsewhere fails with
   * the fix named): in-process in the one-process shape, a keep-alive HTTP pool per peer otherwise.
   * Pass it to that service's client from `@switchyard/contracts`.
   */
  dispatcher: Dispatcher
  /**
   * The time in milliseconds since the epoch: `Date.now` unless the runtime was given another (a
   * test's fake clock). Caches and deadlines read it, so a test moves time instead of waiting.
   */
  now: () => number
  /**
   * Adds a check of the service's own to /readyz (its server's, and in one process the listener's),
   * for a condition the backend checks cannot see: chat's "writes reach quorum in its keyspace".
   * Call it while registering. Present whenever the runtime starts the service.
   */
  addReadinessCheck?(name: string, check: ReadinessCheck): void
}

/** A service's Fastify plugin; the runtime passes its ServiceContext as the options. */
export type ServicePlugin<Config = unknown> = FastifyPluginAsync<
  ServiceContext<Config>,
  RawServerDefault,
  TypeBoxTypeProvider
>

export interface ServiceDefinition<S extends TSchema = TSchema> {
  name: ServiceName
  /** TypeBox schema of the service's env config; the runtime loads it with loadConfig. */
  configSchema: S
  /**
   * Services it calls (the call graph; Helm and Istio policies are derived from it). Its
   * `ctx.dispatcher` reaches these and refuses any other.
   */
  calls: readonly ServiceName[]
  /** Backends the runtime hands it (readiness checks these); `needsFor` may choose among them. */
  needs: readonly Backend[]
  /**
   * Backends it uses given its loaded config, when the config chooses (chat's CHAT_STORE picks
   * Cassandra or PostgreSQL); the runtime plans with this instead of `needs`. Absent: `needs`.
   */
  needsFor?(config: Static<S>): readonly Backend[]
  /** Absolute path of the folder of `NNN-name.sql` migrations, applied by `switchyard migrate`. */
  migrationsDir?: string
  /**
   * True for the one service that mints internal tokens (the gateway): it gets `signer`, and as a
   * single target it needs INTERNAL_TOKEN_PRIVATE_KEY. Every other service only verifies.
   */
  signsInternalTokens?: boolean
  /**
   * True for a background worker that spends at the router for a user after their request ended
   * (rag's ingestion, agent runs): it gets `signer` with the worker key, whose tokens every
   * verifier accepts for `llm:use` and `files:read` only. As a single target it needs INTERNAL_TOKEN_WORKER_PRIVATE_KEY.
   */
  signsWorkerTokens?: boolean
  /**
   * Registered without fastify-plugin so hooks and error handlers stay scoped to the service. Its
   * instance has the TypeBox type provider: route schemas type `request.body` and the reply.
   */
  plugin: ServicePlugin<Static<S>>
}

/** Identity function that keeps the config type flowing from the schema to the plugin. */
export function defineService<S extends TSchema>(definition: ServiceDefinition<S>): ServiceDefinition<S> {
  return definition
}
