import type { InfraEndpoints } from './infra-endpoints.ts'

/**
 * The environment variables that carry the endpoints from the global setup to the test
 * workers (and from a developer's shell, to point the tests at servers of their own).
 */
export const INFRA_ENV = {
  postgresUrl: 'SWITCHYARD_TEST_POSTGRES_URL',
  pgvectorUrl: 'SWITCHYARD_TEST_PGVECTOR_URL',
  redisUrl: 'SWITCHYARD_TEST_REDIS_URL',
  kafkaBrokers: 'SWITCHYARD_TEST_KAFKA_BROKERS',
  cassandraContactPoints: 'SWITCHYARD_TEST_CASSANDRA_CONTACT_POINTS',
  cassandraLocalDataCenter: 'SWITCHYARD_TEST_CASSANDRA_DC',
  s3Endpoint: 'SWITCHYARD_TEST_S3_ENDPOINT',
  s3Region: 'SWITCHYARD_TEST_S3_REGION',
  s3AccessKeyId: 'SWITCHYARD_TEST_S3_ACCESS_KEY_ID',
  s3SecretAccessKey: 'SWITCHYARD_TEST_S3_SECRET_ACCESS_KEY',
  s3Bucket: 'SWITCHYARD_TEST_S3_BUCKET',
  source: 'SWITCHYARD_TEST_INFRA_SOURCE',
} as const satisfies Record<keyof InfraEndpoints, string>

/** Broker version, for the log: the Kafka protocol does not tell it. */
export const KAFKA_VERSION_ENV = 'SWITCHYARD_TEST_KAFKA_VERSION'
/** The S3 server's name and version, for the log: MinIO tells it only through its admin API. */
export const S3_VERSION_ENV = 'SWITCHYARD_TEST_S3_VERSION'
/** testcontainers only: the Kafka container, so a test worker can restart it. */
export const KAFKA_CONTAINER_ENV = 'SWITCHYARD_TEST_KAFKA_CONTAINER_ID'
/** Source 'env' only: shell commands that restart, stop and start the broker. */
export const KAFKA_RESTART_CMD_ENV = 'SWITCHYARD_TEST_KAFKA_RESTART_CMD'
export const KAFKA_STOP_CMD_ENV = 'SWITCHYARD_TEST_KAFKA_STOP_CMD'
export const KAFKA_START_CMD_ENV = 'SWITCHYARD_TEST_KAFKA_START_CMD'

const SOURCES: readonly InfraEndpoints['source'][] = ['env', 'testcontainers', 'deploy-local']
const ENDPOINT_KEYS = Object.keys(INFRA_ENV).filter((key) => key !== 'source') as (keyof typeof INFRA_ENV)[]

type Env = Record<string, string | undefined>

const value = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim()
  return v === '' ? undefined : v
}

const list = (raw: string): string[] =>
  raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')

/** The endpoint variables (source aside) that are unset or empty. */
export function missingInfraEnv(env: Env = process.env): string[] {
  return ENDPOINT_KEYS.map((key) => INFRA_ENV[key]).filter((name) => value(env, name) === undefined)
}

/** The source a variable asks for, if it names one: lets a developer pick a provider. */
export function requestedSource(env: Env = process.env): InfraEndpoints['source'] | undefined {
  const source = value(env, INFRA_ENV.source)
  if (source === undefined) return undefined
  if (!(SOURCES as string[]).includes(source)) {
    throw new Error(`${INFRA_ENV.source}=${source} is not one of ${SOURCES.join(', ')}`)
  }
  return source as InfraEndpoints['source']
}

/**
 * Where the real backends of the integration tests are, read from the SWITCHYARD_TEST_*
 * variables that the global setup (packages/test-backends/src/global-setup.ts) sets.
 */
export function getInfra(env: Env = process.env): InfraEndpoints {
  const missing = missingInfraEnv(env)
  if (missing.length > 0) {
    throw new Error(
      `integration backends are not configured: ${missing.join(', ')} unset. Run the tests through ` +
        "vitest's integration project (its global setup starts or finds the servers), or set them " +
        'yourself, e.g. from `bash deploy/local/infra.sh env`.',
    )
  }
  const get = (name: string) => value(env, name) as string
  return {
    postgresUrl: get(INFRA_ENV.postgresUrl),
    pgvectorUrl: get(INFRA_ENV.pgvectorUrl),
    redisUrl: get(INFRA_ENV.redisUrl),
    kafkaBrokers: list(get(INFRA_ENV.kafkaBrokers)),
    cassandraContactPoints: list(get(INFRA_ENV.cassandraContactPoints)),
    cassandraLocalDataCenter: get(INFRA_ENV.cassandraLocalDataCenter),
    s3Endpoint: get(INFRA_ENV.s3Endpoint),
    s3Region: get(INFRA_ENV.s3Region),
    s3AccessKeyId: get(INFRA_ENV.s3AccessKeyId),
    s3SecretAccessKey: get(INFRA_ENV.s3SecretAccessKey),
    s3Bucket: get(INFRA_ENV.s3Bucket),
    source: requestedSource(env) ?? 'env',
  }
}

/** The variables that describe `infra`, for process.env. */
export function infraToEnv(infra: InfraEndpoints): Record<string, string> {
  return {
    [INFRA_ENV.postgresUrl]: infra.postgresUrl,
    [INFRA_ENV.pgvectorUrl]: infra.pgvectorUrl,
    [INFRA_ENV.redisUrl]: infra.redisUrl,
    [INFRA_ENV.kafkaBrokers]: infra.kafkaBrokers.join(','),
    [INFRA_ENV.cassandraContactPoints]: infra.cassandraContactPoints.join(','),
    [INFRA_ENV.cassandraLocalDataCenter]: infra.cassandraLocalDataCenter,
    [INFRA_ENV.s3Endpoint]: infra.s3Endpoint,
    [INFRA_ENV.s3Region]: infra.s3Region,
    [INFRA_ENV.s3AccessKeyId]: infra.s3AccessKeyId,
    [INFRA_ENV.s3SecretAccessKey]: infra.s3SecretAccessKey,
    [INFRA_ENV.s3Bucket]: infra.s3Bucket,
    [INFRA_ENV.source]: infra.source,
  }
}
