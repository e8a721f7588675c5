import { GenericContainer, getContainerRuntimeClient, type StartedTestContainer, Wait } from 'testcontainers'
import type { InfraEndpoints } from './infra-endpoints.ts'
import { infraToEnv, KAFKA_CONTAINER_ENV, KAFKA_VERSION_ENV, S3_VERSION_ENV } from './infra-env.ts'
import { freePort } from './throwaway-servers.ts'

/** Images of the testcontainers source; the same servers deploy/local runs (docker-compose.yml too). */
export const IMAGES = {
  postgres: 'pgvector/pgvector:pg17',
  redis: 'redis:7.4',
  kafka: 'apache/kafka:3.9.2',
  cassandra: 'cassandra:5.0',
  // Docker Hub no longer serves MinIO's images; quay.io keeps the last one MinIO published.
  minio: 'quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z',
} as const

const PG = { user: 'switchyard', password: 'switchyard', database: 'switchyard' }
/** deploy/local's MinIO credentials and bucket (versions.env). */
const S3 = {
  accessKeyId: 'switchyard',
  secretAccessKey: 'switchyard',
  region: 'us-east-1',
  bucket: 'switchyard',
}

/** True when a Docker (or compatible) engine answers within `timeoutMs`. */
export async function dockerAvailable(timeoutMs = 5_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs)
  })
  try {
    return await Promise.race([getContainerRuntimeClient().then(() => true), timeout])
  } catch {
    return false
  } finally {
    clearTimeout(timer)
  }
}

function startPostgres(): Promise<StartedTestContainer> {
  return (
    new GenericContainer(IMAGES.postgres)
      .withEnvironment({ POSTGRES_USER: PG.user, POSTGRES_PASSWORD: PG.password, POSTGRES_DB: PG.database })
      .withExposedPorts(5432)
      .withTmpFs({ '/var/lib/postgresql/data': 'rw' })
      // The image logs this twice: once for the init-time server, once for the real one.
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start()
  )
}

/**
 * Kafka advertises the address clients must use, and a restarted container may get new random
 * host ports; so the broker listens inside on the same fixed port it is published on outside,
 * and a restart (restartKafka) keeps every address valid.
 */
async function startKafka(host: string): Promise<StartedTestContainer> {
  const port = await freePort()
  return new GenericContainer(IMAGES.kafka)
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://:${port},CONTROLLER://:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${host}:${port}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'true',
      KAFKA_NUM_PARTITIONS: '1',
      KAFKA_HEAP_OPTS: '-Xms512m -Xmx512m',
    })
    .withExposedPorts({ container: port, host: port })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(120_000)
    .start()
}

function startCassandra(): Promise<StartedTestContainer> {
  return new GenericContainer(IMAGES.cassandra)
    .withEnvironment({
      MAX_HEAP_SIZE: '1G',
      HEAP_NEWSIZE: '256M',
      // One token and no gossip settling: a single node starts in seconds instead of a minute.
      JVM_EXTRA_OPTS: '-Dcassandra.skip_wait_for_gossip_to_settle=0 -Dcassandra.initial_token=0',
    })
    .withExposedPorts(9042)
    .withWaitStrategy(Wait.forLogMessage(/Starting listening for CQL clients/))
    .withStartupTimeout(240_000)
    .start()
}

function startMinio(): Promise<StartedTestContainer> {
  return new GenericContainer(IMAGES.minio)
    .withEnvironment({ MINIO_ROOT_USER: S3.accessKeyId, MINIO_ROOT_PASSWORD: S3.secretAccessKey })
    .withCommand(['server', '/data'])
    .withExposedPorts(9000)
    .withTmpFs({ '/data': 'rw' })
    .withWaitStrategy(Wait.forHttp('/minio/health/live', 9000))
    .start()
}

export interface StartedContainers {
  /** The SWITCHYARD_TEST_* variables for process.env. */
  env: Record<string, string>
  stop(): Promise<void>
}

/** Starts every backend in its own container, side by side. */
export async function startContainers(): Promise<StartedContainers> {
  const runtime = await getContainerRuntimeClient()
  const host = runtime.info.containerRuntime.host
  const started = await Promise.allSettled([
    startPostgres(),
    startPostgres(),
    new GenericContainer(IMAGES.redis)
      .withExposedPorts(6379)
      .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
      .start(),
    startKafka(host),
    startCassandra(),
    startMinio(),
  ])
  const containers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
  const stop = async () => {
    await Promise.allSettled(containers.map((container) => container.stop()))
  }
  const failure = started.find((result) => result.status === 'rejected')
  if (failure) {
    await stop()
    throw failure.reason
  }
  const [postgres, pgvector, redis, kafka, cassandra, minio] = containers as [
    StartedTestContainer,
    StartedTestContainer,
    StartedTestContainer,
    StartedTestContainer,
    StartedTestContainer,
    StartedTestContainer,
  ]
  const pgUrl = (c: StartedTestContainer) =>
    `postgres://${PG.user}:${PG.password}@${c.getHost()}:${c.getMappedPort(5432)}/${PG.database}`
  const infra: InfraEndpoints = {
    postgresUrl: pgUrl(postgres),
    pgvectorUrl: pgUrl(pgvector),
    redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
    kafkaBrokers: [`${host}:${kafka.getFirstMappedPort()}`],
    cassandraContactPoints: [`${cassandra.getHost()}:${cassandra.getMappedPort(9042)}`],
    cassandraLocalDataCenter: 'datacenter1',
    s3Endpoint: `http://${minio.getHost()}:${minio.getMappedPort(9000)}`,
    s3Region: S3.region,
    s3AccessKeyId: S3.accessKeyId,
    s3SecretAccessKey: S3.secretAccessKey,
    s3Bucket: S3.bucket,
    source: 'testcontainers',
  }
  return {
    env: {
      ...infraToEnv(infra),
      [KAFKA_VERSION_ENV]: IMAGES.kafka.split(':')[1] ?? 'unknown',
      [KAFKA_CONTAINER_ENV]: kafka.getId(),
      [S3_VERSION_ENV]: `MinIO ${IMAGES.minio.split(':')[1] ?? 'unknown'}`,
    },
    stop,
  }
}

/** Stops, starts or restarts the Kafka container the global setup started (by its id). */
export async function controlKafkaContainer(id: string, action: 'stop' | 'start' | 'restart'): Promise<void> {
  const client = await getContainerRuntimeClient()
  const container = client.container.getById(id)
  if (action === 'stop') await client.container.stop(container, { timeout: 30 })
  else if (action === 'start') await client.container.start(container)
  else await client.container.restart(container, { timeout: 30 })
}
