import { HeadBucketCommand } from '@aws-sdk/client-s3'
import { Client as CassandraClient } from 'cassandra-driver'
import { Redis } from 'ioredis'
import { Kafka, logLevel } from 'kafkajs'
import pg from 'pg'
import type { InfraEndpoints } from './infra-endpoints.ts'
import { KAFKA_VERSION_ENV, S3_VERSION_ENV } from './infra-env.ts'
import { s3Client } from './infra-s3.ts'

/** Each server's own word on its version (for the log of every integration run). */
export interface BackendVersions {
  postgres: string
  pgvector: string
  redis: string
  kafka: string
  cassandra: string
  s3: string
}

export async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 })
  await client.connect()
  try {
    const { rows } = await client.query<{ version: string }>('SELECT version()')
    return rows[0]?.version ?? 'unknown'
  } finally {
    await client.end()
  }
}

/** The installed vector extension's version, or the one the server would install. */
export async function pgvectorVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 })
  await client.connect()
  try {
    const { rows } = await client.query<{ server: string; vector: string | null }>(
      `SELECT current_setting('server_version') AS server,
              coalesce((SELECT extversion FROM pg_extension WHERE extname = 'vector'),
                       (SELECT default_version FROM pg_available_extensions WHERE name = 'vector')) AS vector`,
    )
    const row = rows[0]
    return `PostgreSQL ${row?.server}, pgvector ${row?.vector ?? 'NOT AVAILABLE'}`
  } finally {
    await client.end()
  }
}

export async function redisVersion(url: string): Promise<string> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 10_000 })
  try {
    const info = await redis.info('server')
    return `Redis ${/^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown'}`
  } finally {
    redis.disconnect()
  }
}

/** The broker must answer; its version is not in the protocol, so it comes from whoever started it. */
export async function kafkaVersion(
  brokers: string[],
  version = process.env[KAFKA_VERSION_ENV],
): Promise<string> {
  const admin = new Kafka({ clientId: 'switchyard-infra-check', brokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    const cluster = await admin.describeCluster()
    return `Kafka ${version ?? '(version unknown)'}, ${cluster.brokers.length} broker(s), cluster ${cluster.clusterId}`
  } finally {
    await admin.disconnect()
  }
}

export async function cassandraVersion(contactPoints: string[], localDataCenter: string): Promise<string> {
  const client = new CassandraClient({ contactPoints, localDataCenter })
  await client.connect()
  try {
    const row = (await client.execute('SELECT release_version, data_center FROM system.local')).first()
    return `Cassandra ${row.get('release_version')} (dc ${row.get('data_center')})`
  } finally {
    await client.shutdown()
  }
}

/**
 * The bucket must answer a signed HeadBucket (endpoint, keys and bucket all right); the server's
 * version comes from whoever started it, since MinIO tells it only through its admin API.
 */
export async function s3Version(
  infra: Pick<InfraEndpoints, 's3Endpoint' | 's3Region' | 's3AccessKeyId' | 's3SecretAccessKey' | 's3Bucket'>,
  version = process.env[S3_VERSION_ENV],
): Promise<string> {
  const client = s3Client(infra)
  try {
    await client.send(new HeadBucketCommand({ Bucket: infra.s3Bucket }))
    return `${version ?? 'S3 (version unknown)'}, bucket ${infra.s3Bucket}`
  } finally {
    client.destroy()
  }
}

export async function backendVersions(infra: InfraEndpoints): Promise<BackendVersions> {
  const [postgres, pgvector, redis, kafka, cassandra, s3] = await Promise.all([
    postgresVersion(infra.postgresUrl),
    pgvectorVersion(infra.pgvectorUrl),
    redisVersion(infra.redisUrl),
    kafkaVersion(infra.kafkaBrokers),
    cassandraVersion(infra.cassandraContactPoints, infra.cassandraLocalDataCenter),
    s3Version(infra),
  ])
  return { postgres, pgvector, redis, kafka, cassandra, s3 }
}
