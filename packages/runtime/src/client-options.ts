// What the config's TLS and credential keys become for each client (pg, ioredis, kafkajs,
// cassandra-driver). Pure: start.ts passes the result to the clients; the unit tests read it.
import type { ConnectionOptions } from 'node:tls'
import { ConfigError, type ConfigIssue } from '@switchyard/config'
import type { RuntimeConfig } from './config.ts'

type Prefix = 'DATABASE' | 'REDIS' | 'KAFKA' | 'CASSANDRA'

/** The TLS options of one backend, or undefined for plain TCP. `forced`: the URL asks for TLS (rediss://). */
export function tlsOf(config: RuntimeConfig, prefix: Prefix, forced = false): ConnectionOptions | undefined {
  const ca = config[`${prefix}_TLS_CA`]
  const cert = config[`${prefix}_TLS_CERT`]
  const key = config[`${prefix}_TLS_KEY`]
  const on = forced || config[`${prefix}_TLS`] || ca !== undefined || cert !== undefined || key !== undefined
  if (!on) return undefined
  const issues: ConfigIssue[] = []
  // Half a client certificate cannot authenticate; say so at start, not at the first handshake.
  if ((cert === undefined) !== (key === undefined)) {
    const missing = cert === undefined ? `${prefix}_TLS_CERT` : `${prefix}_TLS_KEY`
    issues.push({
      key: missing,
      message: `missing; a client certificate needs both ${prefix}_TLS_CERT and ${prefix}_TLS_KEY`,
    })
  }
  if (issues.length > 0) throw new ConfigError(issues)
  return {
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && { cert }),
    ...(key !== undefined && { key }),
    rejectUnauthorized: config[`${prefix}_TLS_REJECT_UNAUTHORIZED`],
  }
}

/** For pg.Pool. Settings in DATABASE_URL itself (`?sslmode=`) take precedence in pg. */
export function postgresOptions(config: RuntimeConfig): { ssl?: ConnectionOptions } {
  const ssl = tlsOf(config, 'DATABASE')
  return ssl ? { ssl } : {}
}

/** For ioredis: a `rediss://` URL means TLS, with the CA and client certificate configured here. */
export function redisOptions(config: RuntimeConfig, url: string): { tls?: ConnectionOptions } {
  const tls = tlsOf(config, 'REDIS', url.startsWith('rediss:'))
  return tls ? { tls } : {}
}

export interface KafkaSecurity {
  ssl?: ConnectionOptions
  sasl?:
    | { mechanism: 'scram-sha-256'; username: string; password: string }
    | { mechanism: 'scram-sha-512'; username: string; password: string }
}

/** For kafkajs (createKafkaBus's `ssl` and `sasl`). */
export function kafkaOptions(config: RuntimeConfig): KafkaSecurity {
  const ssl = tlsOf(config, 'KAFKA')
  const mechanism = config.KAFKA_SASL_MECHANISM
  const username = config.KAFKA_SASL_USERNAME
  const password = config.KAFKA_SASL_PASSWORD
  if (mechanism === undefined) {
    const stray =
      username !== undefined ? 'KAFKA_SASL_USERNAME' : password !== undefined ? 'KAFKA_SASL_PASSWORD' : null
    if (stray)
      throw new ConfigError([
        { key: 'KAFKA_SASL_MECHANISM', message: `missing; required because ${stray} is set` },
      ])
    return ssl ? { ssl } : {}
  }
  const issues: ConfigIssue[] = []
  for (const [key, value] of [
    ['KAFKA_SASL_USERNAME', username],
    ['KAFKA_SASL_PASSWORD', password],
  ] as const) {
    if (value === undefined)
      issues.push({ key, message: `missing; required because KAFKA_SASL_MECHANISM is set` })
  }
  if (issues.length > 0) throw new ConfigError(issues)
  return {
    ...(ssl && { ssl }),
    sasl: { mechanism, username: username as string, password: password as string },
  }
}

export interface CassandraSecurity {
  credentials?: { username: string; password: string }
  sslOptions?: ConnectionOptions
}

/** For cassandra-driver's Client: PasswordAuthenticator credentials and TLS. */
export function cassandraOptions(config: RuntimeConfig): CassandraSecurity {
  const sslOptions = tlsOf(config, 'CASSANDRA')
  const username = config.CASSANDRA_USERNAME
  const password = config.CASSANDRA_PASSWORD
  if ((username === undefined) !== (password === undefined)) {
    const [key, other] =
      username === undefined
        ? ['CASSANDRA_USERNAME', 'CASSANDRA_PASSWORD']
        : ['CASSANDRA_PASSWORD', 'CASSANDRA_USERNAME']
    throw new ConfigError([{ key, message: `missing; required because ${other} is set` }])
  }
  return {
    ...(username !== undefined && password !== undefined && { credentials: { username, password } }),
    ...(sslOptions && { sslOptions }),
  }
}

export interface ClientOptions {
  postgres: { ssl?: ConnectionOptions }
  redis: { tls?: ConnectionOptions }
  kafka: KafkaSecurity
  cassandra: CassandraSecurity
}

/**
 * Every client's options at once, for the backends `uses` names; the problems of all of them in one
 * ConfigError, before any client opens.
 */
export function clientOptions(
  config: RuntimeConfig,
  uses: { postgres: boolean; redisUrl?: string | undefined; kafka: boolean; cassandra: boolean },
): ClientOptions {
  const issues: ConfigIssue[] = []
  const attempt = <T>(used: boolean, build: () => T, none: T): T => {
    if (!used) return none
    try {
      return build()
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      issues.push(...error.issues)
      return none
    }
  }
  const options = {
    postgres: attempt(uses.postgres, () => postgresOptions(config), {}),
    redis: attempt(uses.redisUrl !== undefined, () => redisOptions(config, uses.redisUrl as string), {}),
    kafka: attempt(uses.kafka, () => kafkaOptions(config), {}),
    cassandra: attempt(uses.cassandra, () => cassandraOptions(config), {}),
  }
  if (issues.length > 0) throw new ConfigError(issues)
  return options
}
