import { expect, test } from 'vitest'
import { getInfra, INFRA_ENV, infraToEnv, missingInfraEnv, requestedSource } from './infra-env.ts'

const complete = {
  SWITCHYARD_TEST_POSTGRES_URL: 'postgres://u:p@127.0.0.1:5432/db',
  SWITCHYARD_TEST_PGVECTOR_URL: 'postgres://u:p@127.0.0.1:5433/db',
  SWITCHYARD_TEST_REDIS_URL: 'redis://127.0.0.1:6379',
  SWITCHYARD_TEST_KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9094,',
  SWITCHYARD_TEST_CASSANDRA_CONTACT_POINTS: '127.0.0.1:9042',
  SWITCHYARD_TEST_CASSANDRA_DC: 'datacenter1',
  SWITCHYARD_TEST_S3_ENDPOINT: 'http://127.0.0.1:9000',
  SWITCHYARD_TEST_S3_REGION: 'us-east-1',
  SWITCHYARD_TEST_S3_ACCESS_KEY_ID: 'key',
  SWITCHYARD_TEST_S3_SECRET_ACCESS_KEY: 'secret',
  SWITCHYARD_TEST_S3_BUCKET: 'switchyard',
}

test('getInfra reads every endpoint, splitting the lists and trimming blanks', () => {
  expect(getInfra({ ...complete, SWITCHYARD_TEST_INFRA_SOURCE: 'deploy-local' })).toEqual({
    postgresUrl: 'postgres://u:p@127.0.0.1:5432/db',
    pgvectorUrl: 'postgres://u:p@127.0.0.1:5433/db',
    redisUrl: 'redis://127.0.0.1:6379',
    kafkaBrokers: ['127.0.0.1:9092', '127.0.0.1:9094'],
    cassandraContactPoints: ['127.0.0.1:9042'],
    cassandraLocalDataCenter: 'datacenter1',
    s3Endpoint: 'http://127.0.0.1:9000',
    s3Region: 'us-east-1',
    s3AccessKeyId: 'key',
    s3SecretAccessKey: 'secret',
    s3Bucket: 'switchyard',
    source: 'deploy-local',
  })
})

test('without a source the endpoints count as given by the environment', () => {
  expect(getInfra(complete).source).toBe('env')
})

test('the error names every unset or empty variable, and only those', () => {
  const env = { ...complete, SWITCHYARD_TEST_REDIS_URL: ' ', SWITCHYARD_TEST_CASSANDRA_DC: undefined }
  expect(missingInfraEnv(env)).toEqual(['SWITCHYARD_TEST_REDIS_URL', 'SWITCHYARD_TEST_CASSANDRA_DC'])
  expect(() => getInfra(env)).toThrow(/SWITCHYARD_TEST_REDIS_URL, SWITCHYARD_TEST_CASSANDRA_DC unset/)
})

test('an unknown source is refused with the known ones listed', () => {
  expect(() => requestedSource({ SWITCHYARD_TEST_INFRA_SOURCE: 'docker' })).toThrow(
    /env, testcontainers, deploy-local/,
  )
})

test('infraToEnv writes what getInfra reads back', () => {
  const infra = getInfra({ ...complete, SWITCHYARD_TEST_INFRA_SOURCE: 'testcontainers' })
  const env = infraToEnv(infra)
  expect(Object.keys(env).sort()).toEqual(Object.values(INFRA_ENV).sort())
  expect(getInfra(env)).toEqual(infra)
})
