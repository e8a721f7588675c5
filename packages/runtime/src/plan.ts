import { join } from 'node:path'
import { ConfigError, type ConfigIssue } from '@switchyard/config'
import { type ServiceName, serviceNames } from '@switchyard/contracts'
import type { Backend, ServiceDefinition } from '@switchyard/kit'
import type { RuntimeConfig } from './config.ts'

/**
 * The services a runtime can start, by name: the composition root's registry
 * (`@switchyard/switchyard`), or stand-ins in tests. The planner sees any subset of the six.
 */
export type ServiceRegistry = Partial<Record<ServiceName, ServiceDefinition>>

/** `all` runs every service in one process on embedded backends; a service name runs just that one. */
export type Target = 'all' | ServiceName

export type SqlPlan = { impl: 'pglite'; dataDir: string } | { impl: 'postgres'; url: string }
export type BusPlan =
  | {
      impl: 'in-process'
      /** Where compacted topics' latest events outlive the process (admin's config for the router). */
      retainedFile: string
    }
  | { impl: 'kafka'; brokers: string[]; clientId: string; outboxDir: string }
export type StatePlan =
  | { impl: 'memory' }
  | { impl: 'redis'; url: string; commandTimeoutMs: number; connectTimeoutMs: number }
/** Objects: a folder in one process, a bucket otherwise (`endpoint` set: S3-compatible, path-style). */
export type ObjectsPlan =
  | { impl: 'folder'; dir: string }
  | {
      impl: 's3'
      bucket: string
      region: string
      endpoint: string | undefined
      credentials: { accessKeyId: string; secretAccessKey: string } | undefined
    }
export interface CassandraPlan {
  contactPoints: string[]
  localDataCenter: string
}
/**
 * How internal tokens are verified: keys from config, or a key pair made up at start (one process
 * only). The worker key (llm:use and files:read only) is the configured one when set; one process makes its own
 * pair otherwise.
 */
export type IdentityPlan = (
  | { keys: 'ephemeral' }
  | { keys: 'configured'; publicKey: string; privateKey: string | undefined }
) & { workerPublicKey?: string; workerPrivateKey?: string }
/**
 * How a service reaches another, at `urls[name]`: in one process each service has an internal
 * origin (`http://chat.internal`) that ctx.dispatcher reaches in-process, without a socket; a single
 * target goes over HTTP to each peer's URL.
 */
export type PeersPlan =
  | { transport: 'in-process'; urls: Record<ServiceName, string> }
  | { transport: 'http'; urls: Record<ServiceName, string> }

/** What runs, and on which implementation of each port. `null` means the port is not wired at all. */
export interface StartPlan {
  target: Target
  shape: 'all' | 'single'
  /** In registration order. */
  services: ServiceDefinition[]
  /**
   * The ports each service is handed, by name; a port it was not granted fails when used. A service
   * needing Cassandra gets SQL in the one-process shape instead: its store's Postgres implementation.
   */
  grants: Partial<Record<ServiceName, Backend[]>>
  sql: SqlPlan | null
  bus: BusPlan | null
  state: StatePlan | null
  cassandra: CassandraPlan | null
  objects: ObjectsPlan | null
  identity: IdentityPlan
  peers: PeersPlan
  listen: { host: string; port: number }
  /**
   * SWITCHYARD_DATA_DIR, `~` expanded; holds `pglite/` (one-process database), `objects/` (its
   * object store), `bus/` (its compacted topics) and `outbox/` (Kafka buffer).
   */
  dataDir: string
}

/** A target the registry does not hold. (Missing backend config is a ConfigError, listed per key.) */
export class UnknownTargetError extends Error {
  override name = 'UnknownTargetError'
  readonly validTargets: readonly Target[]
  constructor(target: string, valid: readonly Target[]) {
    super(`unknown target '${target}'; valid targets: ${valid.join(', ')}`)
    this.validTargets = valid
  }
}

export interface PlanInput {
  target: string
  services: ServiceRegistry
  config: RuntimeConfig
  /** Expands a leading `~` in SWITCHYARD_DATA_DIR; passed in so the plan stays pure. */
  homeDir: string
}

/** The targets `--target` accepts, given the services that exist. */
export function validTargets(services: ServiceRegistry): Target[] {
  return ['all', ...(Object.keys(services) as ServiceName[])]
}

/**
 * Decides the shape. Pure: no I/O, no environment; start.ts turns the plan into clients.
 * - all: every service on its own server, PGlite over a local socket (when one needs SQL), in-process bus, in-memory
 *   state, objects in a folder; one listener (the gateway's), the others reached in-process at their internal origins.
 *   Chat history lives in the same PGlite (the ChatStore's Postgres implementation), so no Cassandra.
 * - one service: exactly the backends it lists in `needs`, each on its production implementation.
 * @throws UnknownTargetError; ConfigError listing every key the chosen backends need and lack.
 */
export function planStart({ target, services, config, homeDir }: PlanInput): StartPlan {
  const targets = validTargets(services)
  if (!(targets as string[]).includes(target)) {
    throw new UnknownTargetError(target, targets)
  }
  const dataDir = resolveDataDir(config, homeDir)
  const publicKey = config.INTERNAL_TOKEN_PUBLIC_KEY
  const privateKey = config.INTERNAL_TOKEN_PRIVATE_KEY
  const workerKeys = {
    ...(config.INTERNAL_TOKEN_WORKER_PUBLIC_KEY !== undefined && {
      workerPublicKey: config.INTERNAL_TOKEN_WORKER_PUBLIC_KEY,
    }),
    ...(config.INTERNAL_TOKEN_WORKER_PRIVATE_KEY !== undefined && {
      workerPrivateKey: config.INTERNAL_TOKEN_WORKER_PRIVATE_KEY,
    }),
  }

  if (target === 'all') {
    return {
      target,
      shape: 'all',
      services: Object.values(services),
      grants: Object.fromEntries(
        Object.values(services).map((s) => [
          s.name,
          [...new Set(s.needs.map((need) => (need === 'cassandra' ? 'sql' : need)))],
        ]),
      ),
      // Opened only when a service uses it: a process of the router alone boots no database.
      sql: Object.values(services).some((s) => s.needs.includes('sql') || s.needs.includes('cassandra'))
        ? pgliteIn(dataDir)
        : null,
      bus: { impl: 'in-process', retainedFile: join(dataDir, 'bus', 'retained.jsonl') },
      state: { impl: 'memory' },
      cassandra: null,
      objects: Object.values(services).some((s) => s.needs.includes('objects'))
        ? { impl: 'folder', dir: join(dataDir, 'objects') }
        : null,
      identity: {
        ...(publicKey && privateKey ? { keys: 'configured', publicKey, privateKey } : { keys: 'ephemeral' }),
        ...workerKeys,
      },
      peers: { transport: 'in-process', urls: peerUrls('http://{name}.internal') },
      listen: { host: config.SWITCHYARD_HOST ?? '127.0.0.1', port: config.SWITCHYARD_PORT },
      dataDir,
    }
  }

  const name = target as ServiceName
  const service = services[name] as ServiceDefinition
  const needs = new Set(service.needs)
  const issues: ConfigIssue[] = []
  const require = <K extends keyof RuntimeConfig>(key: K, why: string): NonNullable<RuntimeConfig[K]> => {
    const value = config[key]
    if (value === undefined) issues.push({ key, message: `missing; required because ${why}` })
    return value as NonNullable<RuntimeConfig[K]>
  }

  const plan: StartPlan = {
    target: name,
    shape: 'single',
    services: [service],
    grants: { [name]: [...needs] },
    sql: needs.has('sql')
      ? { impl: 'postgres', url: require('DATABASE_URL', `${name} needs sql (PostgreSQL)`) }
      : null,
    bus: needs.has('bus')
      ? {
          impl: 'kafka',
          brokers: require('KAFKA_BROKERS', `${name} needs bus (Kafka)`),
          clientId: `switchyard-${name}`,
          outboxDir: join(dataDir, 'outbox', name),
        }
      : null,
    state: needs.has('state')
      ? {
          impl: 'redis',
          url: require('REDIS_URL', `${name} needs state (Redis)`),
          commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
          connectTimeoutMs: config.REDIS_CONNECT_TIMEOUT_MS,
        }
      : null,
    cassandra: needs.has('cassandra')
      ? {
          contactPoints: require('CASSANDRA_CONTACT_POINTS', `${name} needs cassandra`),
          localDataCenter: config.CASSANDRA_LOCAL_DC,
        }
      : null,
    objects: needs.has('objects')
      ? {
          impl: 's3',
          bucket: require('SWITCHYARD_S3_BUCKET', `${name} needs objects (S3)`),
          region: config.SWITCHYARD_S3_REGION,
          endpoint: config.SWITCHYARD_S3_ENDPOINT,
          credentials: s3Credentials(config, issues),
        }
      : null,
    identity: {
      keys: 'configured',
      publicKey: require('INTERNAL_TOKEN_PUBLIC_KEY', 'every service verifies internal tokens'),
      privateKey: service.signsInternalTokens
        ? require('INTERNAL_TOKEN_PRIVATE_KEY', `${name} signs internal tokens`)
        : privateKey,
      ...workerKeys,
      ...(service.signsWorkerTokens && {
        workerPrivateKey: require('INTERNAL_TOKEN_WORKER_PRIVATE_KEY', `${name} signs worker tokens`),
      }),
    },
    peers: { transport: 'http', urls: peerUrls(config.SWITCHYARD_SERVICE_URL_TEMPLATE) },
    listen: { host: config.SWITCHYARD_HOST ?? '0.0.0.0', port: config.SWITCHYARD_PORT },
    dataDir,
  }
  if (issues.length > 0) throw new ConfigError(issues)
  return plan
}

export interface MigratePlan {
  target: Target
  /** The services whose migrations apply, in registry order. */
  services: ServiceDefinition[]
  /** Their database: the same one `start` with this target uses; null when none of them uses SQL. */
  sql: SqlPlan | null
}

/**
 * Which database `switchyard migrate` writes: the one `start` would use with the same target. So
 * `migrate` (all) prepares the local PGlite, and `migrate --target=admin` (a Helm hook, one per
 * service) the PostgreSQL in DATABASE_URL. Only DATABASE_URL is required; no other backend is touched.
 */
export function planMigrate({ target, services, config, homeDir }: PlanInput): MigratePlan {
  const targets = validTargets(services)
  if (!(targets as string[]).includes(target)) throw new UnknownTargetError(target, targets)
  if (target === 'all') {
    return { target, services: Object.values(services), sql: pgliteIn(resolveDataDir(config, homeDir)) }
  }
  const service = services[target as ServiceName] as ServiceDefinition
  if (!service.needs.includes('sql')) return { target: service.name, services: [service], sql: null }
  if (config.DATABASE_URL === undefined) {
    throw new ConfigError([
      { key: 'DATABASE_URL', message: `missing; required because ${target} needs sql (PostgreSQL)` },
    ])
  }
  return { target: service.name, services: [service], sql: { impl: 'postgres', url: config.DATABASE_URL } }
}

/**
 * The embedded database `start` will open for `target`, if any. Answerable without the registry, so
 * the CLI can open it before the services' modules load (see bin.ts); planStart decides the same.
 */
export function embeddedDatabaseDir(
  target: string,
  config: RuntimeConfig,
  homeDir: string,
): string | undefined {
  return target === 'all' ? pgliteIn(resolveDataDir(config, homeDir)).dataDir : undefined
}

/** The configured key pair, or undefined for the SDK's default chain; half a pair is an issue. */
function s3Credentials(
  config: RuntimeConfig,
  issues: ConfigIssue[],
): { accessKeyId: string; secretAccessKey: string } | undefined {
  const accessKeyId = config.SWITCHYARD_S3_ACCESS_KEY_ID
  const secretAccessKey = config.SWITCHYARD_S3_SECRET_ACCESS_KEY
  if (accessKeyId !== undefined && secretAccessKey !== undefined) return { accessKeyId, secretAccessKey }
  if (accessKeyId === undefined && secretAccessKey === undefined) return undefined
  const [key, other] =
    accessKeyId === undefined
      ? ['SWITCHYARD_S3_ACCESS_KEY_ID', 'SWITCHYARD_S3_SECRET_ACCESS_KEY']
      : ['SWITCHYARD_S3_SECRET_ACCESS_KEY', 'SWITCHYARD_S3_ACCESS_KEY_ID']
  issues.push({
    key,
    message: `missing; required because ${other} is set (set both, or neither for the default chain)`,
  })
  return undefined
}

/** Every service's URL from a template in which `{name}` stands for the service name. */
function peerUrls(template: string): Record<ServiceName, string> {
  return Object.fromEntries(
    serviceNames.map((peer) => [peer, template.replaceAll('{name}', peer)]),
  ) as Record<ServiceName, string>
}

/**
 * Where the one-process first start saves the owner key: SWITCHYARD_CREDENTIALS_FILE (`~` expanded),
 * else `credentials` in the data folder, so a test that sets SWITCHYARD_DATA_DIR never writes home.
 */
export function resolveCredentialsFile(config: RuntimeConfig, homeDir: string): string {
  const file = config.SWITCHYARD_CREDENTIALS_FILE
  return file === undefined ? join(resolveDataDir(config, homeDir), 'credentials') : expandHome(file, homeDir)
}

function expandHome(path: string, homeDir: string): string {
  return path.replace(/^~(?=$|[/\\])/, homeDir)
}

function resolveDataDir(config: RuntimeConfig, homeDir: string): string {
  return config.SWITCHYARD_DATA_DIR.replace(/^~(?=$|[/\\])/, homeDir)
}

function pgliteIn(dataDir: string): SqlPlan & { impl: 'pglite' } {
  return { impl: 'pglite', dataDir: join(dataDir, 'pglite') }
}
