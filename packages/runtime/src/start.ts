import { homedir } from 'node:os'
import { ConfigError, type ConfigIssue, loadConfig } from '@switchyard/config'
import type { ServiceName } from '@switchyard/contracts'
import { createInProcessBus, createKafkaBus, type EventBus } from '@switchyard/events'
import {
  type Backend,
  createInternalTokenSigner,
  createInternalTokenVerifier,
  createServer,
  generateInternalKeyPair,
  installGracefulShutdown,
  type KitServer,
  type ReadinessCheck,
  registerService,
  type ServiceContext,
  type ServiceDefinition,
  type SqlPool,
  serveMetrics,
  workerTokenIssuer,
} from '@switchyard/kit'
import {
  createFolderObjectStore,
  createS3ObjectStore,
  ensureBucket,
  type OwnedObjectStore,
  type S3ObjectStoreOptions,
} from '@switchyard/object-store'
import { connectRedis, createMemoryState, createRedisState, type SharedState } from '@switchyard/state'
import { createLogger, createMetricsRegistry, type TelemetryHandle } from '@switchyard/telemetry'
import { Client as CassandraClient } from 'cassandra-driver'
import pg from 'pg'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { TObject } from 'typebox'
import { type ClientOptions, clientOptions } from './client-options.ts'
import { type Closers, createClosers } from './closers.ts'
import { RuntimeConfig } from './config.ts'
import { type MigrationReport, migrate } from './migrate.ts'
import { withChosenNeeds } from './needs.ts'
import { type LocalPostgresOpening, PGLITE_MAX_CONNECTIONS, startLocalPostgres } from './pglite.ts'
import {
  type CassandraPlan,
  type MigratePlan,
  type ObjectsPlan,
  planMigrate,
  planStart,
  type ServiceRegistry,
  type SqlPlan,
  type StartPlan,
} from './plan.ts'
import { createHttpTransport, createPeerDispatcher, InProcessDispatcher } from './transport.ts'
import { unwired } from './unwired.ts'

type Env = Readonly<Record<string, string | undefined>>

export interface StartOptions {
  /** 'all' (default) or one service name. */
  target?: string
  /** Where config comes from: the CLI passes process.env, tests a clean object. */
  env: Env
  /** false: build and ready the app without a listener, for app.inject in tests. Default true. */
  listen?: boolean
  /** What may run: the composition root passes its registry, tests their services and stand-ins. */
  services: ServiceRegistry
  /** Expands `~` in SWITCHYARD_DATA_DIR. Default: os.homedir(). */
  homeDir?: string
  /** SIGTERM/SIGINT close the app and exit the process: the CLI only, never a test. Default false. */
  handleSignals?: boolean
  /**
   * Tracing, started by bin.ts before any instrumented module loaded (it cannot start here: by now
   * pg, fastify and the rest are loaded). Shut down after every client closed. Default: none.
   */
  telemetry?: TelemetryHandle
  /**
   * The embedded database, already opening (bin.ts starts it before the services' modules load).
   * start() owns it from here: used if the plan wants PGlite in that dir, closed otherwise.
   */
  localPostgres?: LocalPostgresOpening
  /** Every service's `ctx.now`. Default: Date.now; tests pass a fake clock's. */
  now?: () => number
  /** Where log lines go. Default: stdout; a test captures them to assert what is (not) logged. */
  logDestination?: { write(line: string): void }
}

/** What names a target and where its config comes from; the rest of StartOptions is for start only. */
export type TargetOptions = Pick<StartOptions, 'target' | 'env' | 'services' | 'homeDir'>

export interface Switchyard {
  /**
   * The listener: in one process the gateway's server (without a gateway in the registry, a server
   * with health, readiness and metrics only); in a single target the service's own.
   */
  app: KitServer
  /**
   * Each service's own server, by name; in a single target the one (`app`). Tests reach a service
   * behind the gateway with `apps.chat.inject(...)`.
   */
  apps: Partial<Record<ServiceName, KitServer>>
  /** The origin it listens on (without `listen`, the one it would use). */
  url: string
  /** The origin of the metrics listener (SWITCHYARD_METRICS_PORT), once listening; else undefined. */
  metricsUrl?: string
  plan: StartPlan
  /** The SQL pool the services share (PGlite or DATABASE_URL), when one is used: for the CLI's first start. */
  sql?: SqlPool
  /** Closes the listener and with it every other server, then every client it created (PGlite last), then tracing. */
  close(): Promise<void>
}

/**
 * Starts `target`: the one place where the plan's choice of each port becomes a client. Clients
 * close in reverse order of creation, after the services' own onClose hooks, so the database
 * (created first) closes last. A start that fails midway closes what it had opened.
 */
export async function start(options: StartOptions): Promise<Switchyard> {
  // Closed if start fails before its closers exist; closing twice is harmless.
  const early = options.localPostgres
  const closeEarly = async () => (await early?.opening.catch(() => undefined))?.close()
  try {
    return await startWith(options, early, closeEarly)
  } catch (error) {
    await closeEarly()
    throw error
  }
}

async function startWith(
  options: StartOptions,
  early: LocalPostgresOpening | undefined,
  closeEarly: () => Promise<void>,
): Promise<Switchyard> {
  const config = loadConfig(RuntimeConfig, options.env)
  const plan = planStart({ ...targetOf(options), config })
  const serviceConfigs = loadServiceConfigs(plan.services, options.env)
  const clients = clientOptions(config, {
    postgres: plan.sql?.impl === 'postgres',
    redisUrl: plan.state?.impl === 'redis' ? plan.state.url : undefined,
    kafka: plan.bus?.impl === 'kafka',
    cassandra: plan.cassandra !== null,
  })
  const logger = createLogger({
    name: plan.target === 'all' ? 'switchyard' : plan.target,
    level: config.SWITCHYARD_LOG_LEVEL,
    pretty: config.SWITCHYARD_LOG_PRETTY,
    ...(options.logDestination && { destination: options.logDestination }),
  })
  const closers = createClosers(logger)
  // An early database is used only if it is the one the plan wants; first in, so last out.
  const reusable = plan.sql?.impl === 'pglite' && early?.dataDir === plan.sql.dataDir ? early : undefined
  if (early && !reusable) await closeEarly()
  if (reusable) closers.add('pglite', closeEarly)
  let listener: KitServer | undefined
  let sqlOpening: Promise<Sql> | null = null
  try {
    const telemetry = options.telemetry
    if (telemetry) closers.add('telemetry', () => telemetry.shutdown())
    const metrics = createMetricsRegistry()

    // The database opens on its own thread while the rest is built: a first start's initdb is the
    // slowest step. Its closers are registered now, so it still closes last.
    const opening =
      plan.sql && openSql(plan.sql, closers, logger, config.DATABASE_STATEMENT_TIMEOUT_MS, clients, reusable)
    opening?.catch(() => {}) // awaited below; this only keeps an early failure from counting as unhandled
    sqlOpening = opening
    const bus = plan.bus && (await openBus(plan.bus, closers, logger, metrics, clients))
    const state = plan.state && (await openState(plan.state, closers, logger, clients))
    const cassandra = plan.cassandra && (await openCassandra(plan.cassandra, closers, clients))
    const objects = plan.objects && (await openObjects(plan.objects, closers))
    const keys =
      plan.identity.keys === 'ephemeral'
        ? generateInternalKeyPair()
        : { publicKey: plan.identity.publicKey, privateKey: plan.identity.privateKey }
    // The worker key: configured, or (one process) made up here like the internal pair.
    const { workerPublicKey, workerPrivateKey } = plan.identity
    const workerKeys =
      workerPublicKey !== undefined || workerPrivateKey !== undefined
        ? { publicKey: workerPublicKey, privateKey: workerPrivateKey }
        : plan.shape === 'all'
          ? generateInternalKeyPair()
          : undefined
    const verifier = createInternalTokenVerifier({
      publicKey: keys.publicKey,
      ...(workerKeys?.publicKey !== undefined && { workerPublicKey: workerKeys.publicKey }),
    })
    // Only a service that mints tokens (the gateway) gets a signer; its key is checked here, at start.
    const signer =
      keys.privateKey !== undefined && plan.services.some((service) => service.signsInternalTokens)
        ? createInternalTokenSigner({ privateKey: keys.privateKey })
        : undefined
    // A worker that spends for a requester gets one with the worker key (tokens for llm:use and files:read only).
    const workerSigner =
      workerKeys?.privateKey !== undefined && plan.services.some((service) => service.signsWorkerTokens)
        ? createInternalTokenSigner({ privateKey: workerKeys.privateKey, issuer: workerTokenIssuer })
        : undefined

    // A server's /readyz runs the checks of the backends it was granted; the listener's, all of them.
    const checks: Partial<Record<Backend, [string, ReadinessCheck]>> = {
      ...(opening && { sql: [`sql:${plan.sql?.impl}`, () => opening.then((sql) => sql.ping())] }),
      ...(bus && { bus: [`bus:${plan.bus?.impl}`, () => bus.ready()] }),
      ...(state && { state: [`state:${plan.state?.impl}`, () => state.ping()] }),
      ...(objects && { objects: [`objects:${plan.objects?.impl}`, () => objects.ping()] }),
      ...(cassandra && {
        cassandra: [
          'cassandra',
          () =>
            cassandra.execute('SELECT release_version FROM system.local').then(
              () => true,
              () => false,
            ),
        ],
      }),
    }
    const token = config.SWITCHYARD_METRICS_TOKEN
    // A single target runs in production: its API docs are opt-in there.
    const docs = config.SWITCHYARD_DOCS ?? plan.target === 'all'
    // Each server's checks, by server: a service adds its own while registering.
    const readinessOf = new Map<KitServer, Record<string, ReadinessCheck>>()
    const server = async (name: ServiceName | 'switchyard', backends: readonly Backend[]) => {
      const readiness: Record<string, ReadinessCheck> = Object.fromEntries(
        backends.flatMap((backend) => {
          const check = checks[backend]
          return check ? [check] : []
        }),
      )
      const app = await createServer({
        name,
        logger,
        metrics,
        metricsAccess: token === undefined ? 'off' : { token },
        docs,
        identity: verifier,
        readiness,
        shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
        maxJsonDepth: config.SWITCHYARD_MAX_JSON_DEPTH,
      })
      readinessOf.set(app, readiness)
      return app
    }

    // One listener. In one process it is the gateway's server: the gateway's public routes and a
    // service's own (both have /v1/chat/completions) live on different servers, and every other
    // service is reached in-process at its internal origin.
    const names = plan.services.map((service) => service.name)
    const listenerName: ServiceName | 'switchyard' =
      plan.target !== 'all' ? plan.target : names.includes('gateway') ? 'gateway' : 'switchyard'
    const started = await server(listenerName, allBackends)
    listener = started
    const others: KitServer[] = []
    let closingOthers: Promise<void> | undefined
    // The others start closing with the listener, so that a stream it passes on ends when its
    // service tells it to finish; the clients close once every server has closed. Added before the
    // services register, so the onClose hook runs after theirs (Fastify closes LIFO).
    const closeOthers = () => {
      closingOthers ??= Promise.allSettled(others.map((other) => other.close())).then((results) => {
        for (const result of results)
          if (result.status === 'rejected') logger.error({ err: result.reason }, 'closing a service failed')
      })
      return closingOthers
    }
    started.addHook('preClose', async () => {
      void closeOthers()
    })
    started.addHook('onClose', async () => {
      await closeOthers()
      await closers.closeAll()
    })
    const sql = await opening
    // One process migrates its own PGlite; a single target's database is migrated by `switchyard migrate`.
    if (sql && plan.sql?.impl === 'pglite') logReports(logger, await migrate(sql.pool, plan.services))

    const apps: Partial<Record<ServiceName, KitServer>> = {}
    const byHost = new Map<string, KitServer>()
    // One transport for every call between services; each service sees it limited to its `calls`.
    const transport =
      plan.peers.transport === 'in-process'
        ? new InProcessDispatcher((host) => byHost.get(host))
        : createHttpTransport({ connectionsPerPeer: config.SWITCHYARD_PEER_CONNECTIONS })
    closers.add('peers', () => transport.close())
    // Each service gets only the ports the plan granted it.
    for (const service of plan.services) {
      const granted = plan.grants[service.name] ?? []
      const needs = new Set(granted)
      const app = service.name === listenerName ? started : await server(service.name, granted)
      if (app !== started) others.push(app)
      apps[service.name] = app
      byHost.set(new URL(plan.peers.urls[service.name]).host, app)
      const context: ServiceContext = {
        config: serviceConfigs.get(service.name),
        logger: logger.child({ service: service.name }),
        metrics,
        bus: bus && needs.has('bus') ? bus : unwired<EventBus>('bus', service.name),
        state: state && needs.has('state') ? state : unwired<SharedState>('state', service.name),
        ...(sql && needs.has('sql') && { sql: sql.pool }),
        ...(cassandra && needs.has('cassandra') && { cassandra }),
        ...(objects && needs.has('objects') && { objects }),
        ...(signer && service.signsInternalTokens && { signer }),
        ...(workerSigner && service.signsWorkerTokens && { signer: workerSigner }),
        serviceUrl: (name: ServiceName) => plan.peers.urls[name],
        dispatcher: createPeerDispatcher({
          transport,
          caller: service.name,
          calls: service.calls,
          urls: plan.peers.urls,
        }),
        now: options.now ?? Date.now,
        addReadinessCheck: (name, check) => {
          for (const on of new Set([app, started])) {
            const readiness = readinessOf.get(on)
            if (readiness) readiness[`${service.name}:${name}`] = check
          }
        },
      }
      await registerService(app, service, context)
    }
    // Plugins load at ready(): in plan order, the listener's last.
    for (const other of others) await other.ready()

    let origin = originOf(plan.listen.host, plan.listen.port)
    let metricsUrl: string | undefined
    if (options.listen === false) {
      await started.ready()
    } else {
      if (config.SWITCHYARD_METRICS_PORT !== undefined) {
        const metricsListener = await serveMetrics(metrics, {
          host: config.SWITCHYARD_METRICS_HOST,
          port: config.SWITCHYARD_METRICS_PORT,
        })
        closers.add('metrics listener', () => metricsListener.close())
        metricsUrl = metricsListener.url
      }
      await started.listen({ host: plan.listen.host, port: plan.listen.port })
      const address = started.server.address()
      if (address && typeof address === 'object') origin = originOf(plan.listen.host, address.port)
    }
    // The process-level deadline outlasts the server's own drain, so the drain can finish first.
    if (options.handleSignals) installGracefulShutdown(started, { graceMs: config.SHUTDOWN_GRACE_MS + 5_000 })
    return {
      app: started,
      apps,
      url: origin,
      ...(metricsUrl !== undefined && { metricsUrl }),
      ...(sql && { sql: sql.pool }),
      plan,
      close: () => started.close(),
    }
  } catch (error) {
    await sqlOpening?.catch(() => {})
    await (listener ? listener.close() : closers.closeAll())
    throw error
  }
}

/** `switchyard migrate`: applies the target's migrations to the database `start` would use. */
export async function migrateTarget(
  options: TargetOptions,
): Promise<{ plan: MigratePlan; reports: MigrationReport[] }> {
  const config = loadConfig(RuntimeConfig, options.env)
  const plan = planMigrate({ ...targetOf(options), config })
  if (!plan.sql || plan.services.every((s) => !s.migrationsDir)) return { plan, reports: [] }
  const logger = createLogger({ name: 'switchyard-migrate', level: config.SWITCHYARD_LOG_LEVEL })
  const closers = createClosers(logger)
  try {
    const clients = clientOptions(config, {
      postgres: plan.sql.impl === 'postgres',
      kafka: false,
      cassandra: false,
    })
    const sql = await openSql(plan.sql, closers, logger, config.DATABASE_STATEMENT_TIMEOUT_MS, clients)
    return {
      plan,
      reports: await migrate(sql.pool, plan.services, {
        onWait: () => logger.info('another migrator holds the lock; waiting'),
      }),
    }
  } finally {
    await closers.closeAll()
  }
}

/**
 * Runs `fn` on the database `migrate` writes for `target` (all: the local PGlite, migrated first,
 * as `start` would; one service: DATABASE_URL as it is), then closes it: the CLI's commands on
 * admin's tables (`switchyard keys`, `admin bootstrap`). The local PGlite is single-user: while
 * `start` runs on the same data folder this fails with DataDirInUseError.
 */
export async function withTargetDatabase<T>(
  options: TargetOptions,
  fn: (sql: SqlPool, plan: MigratePlan) => Promise<T>,
): Promise<T> {
  const config = loadConfig(RuntimeConfig, options.env)
  const plan = planMigrate({ ...targetOf(options), config })
  if (!plan.sql) throw new ConfigError([{ key: 'target', message: `${plan.target} keeps nothing in SQL` }])
  const logger = createLogger({ name: 'switchyard-cli', level: config.SWITCHYARD_LOG_LEVEL })
  const closers = createClosers(logger)
  try {
    const clients = clientOptions(config, {
      postgres: plan.sql.impl === 'postgres',
      kafka: false,
      cassandra: false,
    })
    const sql = await openSql(plan.sql, closers, logger, config.DATABASE_STATEMENT_TIMEOUT_MS, clients)
    if (plan.sql.impl === 'pglite') await migrate(sql.pool, plan.services)
    return await fn(sql.pool, plan)
  } finally {
    await closers.closeAll()
  }
}

function targetOf(options: TargetOptions) {
  const target = options.target ?? 'all'
  return {
    target,
    services: withChosenNeeds(options.services, target, options.env),
    homeDir: options.homeDir ?? homedir(),
  }
}

/** Every service's config from its own schema; all their bad keys are reported together. */
function loadServiceConfigs(services: ServiceDefinition[], env: Env): Map<ServiceName, unknown> {
  const configs = new Map<ServiceName, unknown>()
  const issues = new Map<string, ConfigIssue>()
  for (const service of services) {
    try {
      configs.set(service.name, loadConfig(service.configSchema as unknown as TObject, env))
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      // Services may share a key (one shared YAML file); report it once.
      for (const issue of error.issues) issues.set(issue.key, issue)
    }
  }
  if (issues.size > 0) throw new ConfigError([...issues.values()])
  return configs
}

interface Sql {
  pool: pg.Pool
  ping(): Promise<boolean>
}

/** Registers its closers before its first await, so they keep their place in the closing order. */
function openSql(
  plan: SqlPlan,
  closers: Closers,
  logger: Logger,
  statementTimeoutMs: number,
  clients: Pick<ClientOptions, 'postgres'>,
  early?: LocalPostgresOpening,
): Promise<Sql> {
  // `early` (already checked to be this dir, and already among the closers) or a new one.
  const local =
    early?.opening ?? (plan.impl === 'pglite' ? startLocalPostgres({ dataDir: plan.dataDir }) : undefined)
  if (local && !early) closers.add('pglite', async () => (await local.catch(() => undefined))?.close())
  let pool: pg.Pool | undefined
  closers.add('sql pool', async () => pool?.end())
  return (async () => {
    pool = new pg.Pool({
      connectionString: local ? (await local).url : (plan as { url: string }).url,
      // The socket refuses connections past its limit, so the pool never opens more.
      max: local ? PGLITE_MAX_CONNECTIONS : 10,
      // Set at connection start, so every statement of every service has it: a runaway query is
      // cancelled by the server instead of holding a connection. PGlite accepts the setting but
      // does not enforce it, so it is left out there.
      ...(!local && { options: `-c statement_timeout=${statementTimeoutMs}`, ...clients.postgres }),
    })
    // An idle client losing its server emits 'error' on the pool; unhandled, it would end the process.
    pool.on('error', (err) => logger.warn({ err }, 'idle PostgreSQL connection failed'))
    const opened = pool
    const ping = () =>
      opened.query('SELECT 1').then(
        () => true,
        () => false,
      )
    return { pool: opened, ping }
  })()
}

async function openBus(
  plan: NonNullable<StartPlan['bus']>,
  closers: Closers,
  logger: Logger,
  registry: Registry,
  clients: Pick<ClientOptions, 'kafka'>,
): Promise<EventBus> {
  const bus =
    plan.impl === 'kafka'
      ? await createKafkaBus({
          brokers: plan.brokers,
          clientId: plan.clientId,
          logger,
          outboxDir: plan.outboxDir,
          registry,
          ...clients.kafka,
        })
      : createInProcessBus({ logger, registry, retainedFile: plan.retainedFile })
  closers.add('bus', () => bus.close())
  return bus
}

/** Connects before the services register: they may prepare their schema at registration. */
async function openCassandra(
  plan: CassandraPlan,
  closers: Closers,
  clients: Pick<ClientOptions, 'cassandra'>,
): Promise<CassandraClient> {
  const { credentials, sslOptions } = clients.cassandra
  // No keyspace on the client: each service names its own in its statements.
  const client = new CassandraClient({
    contactPoints: plan.contactPoints,
    localDataCenter: plan.localDataCenter,
    ...(credentials && { credentials }),
    ...(sslOptions && { sslOptions }),
  })
  closers.add('cassandra', () => client.shutdown())
  await client.connect()
  return client
}

async function openState(
  plan: NonNullable<StartPlan['state']>,
  closers: Closers,
  logger: Logger,
  clients: Pick<ClientOptions, 'redis'>,
): Promise<SharedState> {
  if (plan.impl === 'memory') {
    const state = createMemoryState()
    closers.add('state', () => state.close())
    return state
  }
  const redis = await connectRedis(plan.url, { ...plan, ...clients.redis })
  // ioredis reconnects by itself; without a listener each failed attempt would be an unhandled 'error'.
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'))
  const state = createRedisState(redis) // owns the client: close() quits it
  closers.add('redis', () => state.close())
  return state
}

/**
 * A folder, or a bucket made at start if it is missing (a first deploy needs no manual step).
 * Its closer is registered before the first await, like the others.
 */
async function openObjects(plan: ObjectsPlan, closers: Closers): Promise<OwnedObjectStore> {
  if (plan.impl === 'folder') {
    const store = createFolderObjectStore(plan.dir)
    closers.add('objects', () => store.close())
    return store
  }
  const options: S3ObjectStoreOptions = {
    bucket: plan.bucket,
    client: {
      region: plan.region,
      // An S3-compatible server (MinIO) is addressed by path: no DNS name per bucket.
      ...(plan.endpoint !== undefined && { endpoint: plan.endpoint, forcePathStyle: true }),
      ...(plan.credentials && { credentials: plan.credentials }),
    },
  }
  const store = createS3ObjectStore(options)
  closers.add('objects', () => store.close())
  await ensureBucket(options)
  return store
}

const allBackends: readonly Backend[] = ['sql', 'bus', 'state', 'cassandra', 'objects']

function originOf(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`
}

function logReports(logger: Logger, reports: MigrationReport[]): void {
  for (const r of reports)
    if (r.applied.length > 0) logger.info({ service: r.service, applied: r.applied }, 'migrated')
}
