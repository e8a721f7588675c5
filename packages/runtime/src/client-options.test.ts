import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '@switchyard/config'
import { expect, onTestFinished, test } from 'vitest'
import { clientOptions } from './client-options.ts'
import { RuntimeConfig } from './config.ts'

const every: Parameters<typeof clientOptions>[1] = {
  postgres: true,
  redisUrl: 'redis://redis:6379',
  kafka: true,
  cassandra: true,
}
const optionsOf = (env: Record<string, string>, uses = every) =>
  clientOptions(loadConfig(RuntimeConfig, env), uses)

/** Secrets as an operator mounts them: files named by `<KEY>_FILE`. */
async function secrets(files: Record<string, string>): Promise<Record<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-secrets-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  const env: Record<string, string> = {}
  for (const [key, text] of Object.entries(files)) {
    await writeFile(join(dir, key), text)
    env[`${key}_FILE`] = join(dir, key)
  }
  return env
}

test('nothing set (deploy/local): plain connections without credentials', () => {
  expect(optionsOf({})).toEqual({ postgres: {}, redis: {}, kafka: {}, cassandra: {} })
})

test('each backend: CA, client certificate and key from mounted files become its TLS options', async () => {
  const env: Record<string, string> = {}
  const expected: Record<string, unknown> = {}
  for (const prefix of ['DATABASE', 'REDIS', 'KAFKA', 'CASSANDRA']) {
    const pem = { ca: `${prefix} ca`, cert: `${prefix} cert`, key: `${prefix} key` }
    Object.assign(
      env,
      await secrets({
        [`${prefix}_TLS_CA`]: pem.ca,
        [`${prefix}_TLS_CERT`]: pem.cert,
        [`${prefix}_TLS_KEY`]: pem.key,
      }),
    )
    expected[prefix] = { ...pem, rejectUnauthorized: true }
  }
  const options = optionsOf(env)
  expect(options.postgres.ssl).toEqual(expected.DATABASE)
  expect(options.redis.tls).toEqual(expected.REDIS)
  expect(options.kafka.ssl).toEqual(expected.KAFKA)
  expect(options.cassandra.sslOptions).toEqual(expected.CASSANDRA)
})

test('TLS without files trusts the system CAs; reject-unauthorized can be turned off; rediss:// alone means TLS', () => {
  const options = optionsOf(
    { DATABASE_TLS: 'true', KAFKA_TLS: 'true', KAFKA_TLS_REJECT_UNAUTHORIZED: 'false' },
    { ...every, redisUrl: 'rediss://redis:6380' },
  )
  expect(options.postgres).toEqual({ ssl: { rejectUnauthorized: true } })
  expect(options.kafka).toEqual({ ssl: { rejectUnauthorized: false } })
  expect(options.redis).toEqual({ tls: { rejectUnauthorized: true } })
  expect(options.cassandra).toEqual({})
})

test('Kafka SASL/SCRAM and Cassandra credentials, passwords from secrets', async () => {
  const env = {
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'switchyard',
    CASSANDRA_USERNAME: 'chat',
    ...(await secrets({ KAFKA_SASL_PASSWORD: 'kafka-pw', CASSANDRA_PASSWORD: 'cassandra-pw' })),
  }
  const options = optionsOf(env)
  expect(options.kafka).toEqual({
    sasl: { mechanism: 'scram-sha-512', username: 'switchyard', password: 'kafka-pw' },
  })
  expect(options.cassandra).toEqual({ credentials: { username: 'chat', password: 'cassandra-pw' } })
})

test('half a setting is a ConfigError naming every missing key at once', () => {
  const error = (() => {
    try {
      optionsOf({
        KAFKA_SASL_MECHANISM: 'scram-sha-256',
        CASSANDRA_USERNAME: 'chat',
        REDIS_TLS_CERT: 'cert',
      })
    } catch (e) {
      return e
    }
  })()
  expect(error).toBeInstanceOf(ConfigError)
  expect((error as ConfigError).issues.map((issue) => issue.key).sort()).toEqual([
    'CASSANDRA_PASSWORD',
    'KAFKA_SASL_PASSWORD',
    'KAFKA_SASL_USERNAME',
    'REDIS_TLS_KEY',
  ])
  expect(() => optionsOf({ KAFKA_SASL_MECHANISM: 'plain' })).toThrow('KAFKA_SASL_MECHANISM')
})

test('a backend the target does not use is not checked', () => {
  expect(
    optionsOf(
      { CASSANDRA_USERNAME: 'chat' },
      { postgres: true, redisUrl: undefined, kafka: false, cassandra: false },
    ),
  ).toEqual({ postgres: {}, redis: {}, kafka: {}, cassandra: {} })
})
