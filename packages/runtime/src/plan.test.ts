import { ConfigError, loadConfig } from '@switchyard/config'
import { defineService, type ServiceDefinition } from '@switchyard/kit'
import { Type } from 'typebox'
import { describe, expect, test } from 'vitest'
import { RuntimeConfig } from './config.ts'
import { planMigrate, planStart, type ServiceRegistry, type StartPlan, UnknownTargetError } from './plan.ts'

// Stand-ins with the needs real services will have, so each per-need branch of the plan runs.
const testService = (name: ServiceDefinition['name'], needs: ServiceDefinition['needs']) =>
  defineService({ name, configSchema: Type.Object({}), calls: [], needs, plugin: async () => {} })
const withTestServices: ServiceRegistry = {
  gateway: testService('gateway', ['state']),
  rag: testService('rag', ['sql', 'bus', 'objects']),
  chat: testService('chat', ['cassandra', 'bus']),
}

const home = '/home/ada'
const backends = {
  DATABASE_URL: 'postgres://switchyard:pw@db:5432/switchyard',
  REDIS_URL: 'redis://redis:6379/0',
  KAFKA_BROKERS: 'kafka-0:9092, kafka-1:9092',
  CASSANDRA_CONTACT_POINTS: 'cassandra-0,cassandra-1',
  CASSANDRA_LOCAL_DC: 'dc1',
  SWITCHYARD_S3_BUCKET: 'switchyard-objects',
  SWITCHYARD_S3_ENDPOINT: 'http://minio:9000',
  SWITCHYARD_S3_ACCESS_KEY_ID: 'access',
  SWITCHYARD_S3_SECRET_ACCESS_KEY: 'secret',
  INTERNAL_TOKEN_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
}

function plan(
  target: string,
  env: Record<string, string>,
  registry: ServiceRegistry = withTestServices,
): StartPlan {
  return planStart({ target, services: registry, config: loadConfig(RuntimeConfig, env), homeDir: home })
}

const names = (p: StartPlan) => p.services.map((s) => s.name)
const embedded = {
  shape: 'all',
  sql: { impl: 'pglite', dataDir: '/home/ada/.switchyard/pglite' },
  bus: { impl: 'in-process' },
  state: { impl: 'memory' },
  cassandra: null,
  peers: { transport: 'in-process' },
  dataDir: '/home/ada/.switchyard',
}

describe('planStart', () => {
  test.each([
    {
      what: 'all ignores production backend config: one process never needs a server',
      target: 'all',
      env: {
        ...backends,
        SWITCHYARD_PORT: '9000',
        SWITCHYARD_HOST: '0.0.0.0',
        SWITCHYARD_DATA_DIR: '/srv/sy',
      },
      registry: withTestServices,
      services: ['gateway', 'rag', 'chat'],
      expected: {
        ...embedded,
        // chat's Cassandra need becomes SQL here: its history lives in the same PGlite.
        grants: { gateway: ['state'], rag: ['sql', 'bus', 'objects'], chat: ['sql', 'bus'] },
        sql: { impl: 'pglite', dataDir: '/srv/sy/pglite' },
        objects: { impl: 'folder', dir: '/srv/sy/objects' },
        dataDir: '/srv/sy',
        listen: { host: '0.0.0.0', port: 9000 },
        // Only the public key is configured: one process signs too, so it makes its own pair.
        identity: { keys: 'ephemeral' },
      },
    },
    {
      what: 'rag (sql + bus + objects): Postgres, Kafka and S3, no Redis, no Cassandra',
      target: 'rag',
      env: backends,
      registry: withTestServices,
      services: ['rag'],
      expected: {
        shape: 'single',
        grants: { rag: ['sql', 'bus', 'objects'] },
        objects: {
          impl: 's3',
          bucket: 'switchyard-objects',
          region: 'us-east-1',
          endpoint: 'http://minio:9000',
          credentials: { accessKeyId: 'access', secretAccessKey: 'secret' },
        },
        sql: { impl: 'postgres', url: backends.DATABASE_URL },
        bus: {
          impl: 'kafka',
          brokers: ['kafka-0:9092', 'kafka-1:9092'],
          clientId: 'switchyard-rag',
          outboxDir: '/home/ada/.switchyard/outbox/rag',
        },
        state: null,
        cassandra: null,
        listen: { host: '0.0.0.0', port: 8080 },
        identity: {
          keys: 'configured',
          publicKey: backends.INTERNAL_TOKEN_PUBLIC_KEY,
          privateKey: undefined,
        },
      },
    },
    {
      what: 'gateway (state only): Redis and nothing else',
      target: 'gateway',
      env: { ...backends, INTERNAL_TOKEN_PRIVATE_KEY: 'private-pem' },
      registry: withTestServices,
      services: ['gateway'],
      expected: {
        shape: 'single',
        grants: { gateway: ['state'] },
        sql: null,
        bus: null,
        // The defaults: a hung Redis costs a request at most half a second.
        state: { impl: 'redis', url: backends.REDIS_URL, commandTimeoutMs: 500, connectTimeoutMs: 5_000 },
        cassandra: null,
        objects: null,
        identity: {
          keys: 'configured',
          publicKey: backends.INTERNAL_TOKEN_PUBLIC_KEY,
          privateKey: 'private-pem',
        },
      },
    },
    {
      what: 'chat (cassandra + bus): Cassandra with its data center, no SQL',
      target: 'chat',
      env: backends,
      registry: withTestServices,
      services: ['chat'],
      expected: {
        shape: 'single',
        grants: { chat: ['cassandra', 'bus'] },
        sql: null,
        bus: { impl: 'kafka' },
        state: null,
        cassandra: { contactPoints: ['cassandra-0', 'cassandra-1'], localDataCenter: 'dc1' },
        objects: null,
      },
    },
    {
      what: 'all without a service that stores objects: no object store',
      target: 'all',
      env: {},
      registry: { gateway: withTestServices.gateway as ServiceDefinition },
      services: ['gateway'],
      expected: { ...embedded, sql: null, grants: { gateway: ['state'] }, objects: null },
    },
  ])('$what', ({ target, env, registry, services: expectedServices, expected }) => {
    const result = plan(target, env, registry)
    expect(names(result)).toEqual(expectedServices)
    expect(result).toMatchObject(expected)
    // Exactly these grants: an extra port for any service would be wiring it did not ask for.
    expect(result.grants).toEqual(expected.grants)
  })

  test('a single target reaches its peers over HTTP at the templated URLs', () => {
    const result = plan('rag', { ...backends, SWITCHYARD_SERVICE_URL_TEMPLATE: 'http://{name}.sy.svc:8080' })
    expect(result.peers).toEqual({
      transport: 'http',
      urls: {
        gateway: 'http://gateway.sy.svc:8080',
        'llm-router': 'http://llm-router.sy.svc:8080',
        chat: 'http://chat.sy.svc:8080',
        agent: 'http://agent.sy.svc:8080',
        rag: 'http://rag.sy.svc:8080',
        'rag-worker': 'http://rag-worker.sy.svc:8080',
        admin: 'http://admin.sy.svc:8080',
      },
    })
  })

  test('in one process every service has an internal origin that the in-process dispatcher serves', () => {
    const result = plan('all', {})
    expect(result.peers).toEqual({
      transport: 'in-process',
      urls: {
        gateway: 'http://gateway.internal',
        'llm-router': 'http://llm-router.internal',
        chat: 'http://chat.internal',
        agent: 'http://agent.internal',
        rag: 'http://rag.internal',
        'rag-worker': 'http://rag-worker.internal',
        admin: 'http://admin.internal',
      },
    })
  })

  test('a service that signs internal tokens needs the private key as a single target, and gets it', () => {
    const signing: ServiceRegistry = {
      gateway: defineService({
        name: 'gateway',
        configSchema: Type.Object({}),
        calls: [],
        needs: ['state'],
        signsInternalTokens: true,
        plugin: async () => {},
      }),
    }
    let error: unknown
    try {
      plan('gateway', backends, signing)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).issues).toEqual([
      {
        key: 'INTERNAL_TOKEN_PRIVATE_KEY',
        message: 'missing; required because gateway signs internal tokens',
      },
    ])
    const withKey = plan('gateway', { ...backends, INTERNAL_TOKEN_PRIVATE_KEY: 'private-pem' }, signing)
    expect(withKey.identity).toEqual({
      keys: 'configured',
      publicKey: backends.INTERNAL_TOKEN_PUBLIC_KEY,
      privateKey: 'private-pem',
    })
  })

  test.each([
    { target: 'nope', registry: withTestServices, valid: 'valid targets: all, gateway, rag, chat' },
    // A service name is only a target once its line is in the registry.
    { target: 'agent', registry: withTestServices, valid: 'valid targets: all, gateway, rag, chat' },
  ])('unknown target $target is refused with the valid ones listed', ({ target, registry, valid }) => {
    expect(() => plan(target, {}, registry)).toThrow(UnknownTargetError)
    expect(() => plan(target, {}, registry)).toThrow(valid)
  })

  test.each([
    {
      target: 'rag',
      keys: ['DATABASE_URL', 'KAFKA_BROKERS', 'SWITCHYARD_S3_BUCKET', 'INTERNAL_TOKEN_PUBLIC_KEY'],
    },
    { target: 'gateway', keys: ['REDIS_URL', 'INTERNAL_TOKEN_PUBLIC_KEY'] },
    { target: 'chat', keys: ['KAFKA_BROKERS', 'CASSANDRA_CONTACT_POINTS', 'INTERNAL_TOKEN_PUBLIC_KEY'] },
  ])('$target without backends lists every missing key at once', ({ target, keys }) => {
    let error: unknown
    try {
      plan(target, {})
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).issues.map((i) => i.key)).toEqual(keys)
  })

  test('S3 without keys uses the default chain, and half a key pair names the missing half', () => {
    const { SWITCHYARD_S3_ACCESS_KEY_ID, SWITCHYARD_S3_SECRET_ACCESS_KEY, SWITCHYARD_S3_ENDPOINT, ...aws } =
      backends
    expect(plan('rag', { ...aws, SWITCHYARD_S3_REGION: 'eu-west-1' }).objects).toEqual({
      impl: 's3',
      bucket: 'switchyard-objects',
      region: 'eu-west-1',
      endpoint: undefined,
      credentials: undefined,
    })
    let error: unknown
    try {
      plan('rag', { ...aws, SWITCHYARD_S3_ACCESS_KEY_ID })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).issues).toEqual([
      {
        key: 'SWITCHYARD_S3_SECRET_ACCESS_KEY',
        message:
          'missing; required because SWITCHYARD_S3_ACCESS_KEY_ID is set (set both, or neither for the default chain)',
      },
    ])
  })
})

describe('planMigrate', () => {
  const migratePlan = (target: string, env: Record<string, string | undefined>) =>
    planMigrate({ target, services: withTestServices, config: loadConfig(RuntimeConfig, env), homeDir: home })

  test.each([
    { target: 'all', env: {}, services: ['gateway', 'rag', 'chat'], sql: embedded.sql },
    // Only the database is needed: no Kafka, no keys.
    {
      target: 'rag',
      env: { DATABASE_URL: backends.DATABASE_URL },
      services: ['rag'],
      sql: { impl: 'postgres', url: backends.DATABASE_URL },
    },
    { target: 'gateway', env: {}, services: ['gateway'], sql: null },
  ])('$target migrates the database start would use', ({ target, env, services: expected, sql }) => {
    const result = migratePlan(target, env)
    expect(result.services.map((s) => s.name)).toEqual(expected)
    expect(result.sql).toEqual(sql)
  })

  test('a single target without DATABASE_URL names just that key', () => {
    expect(() => migratePlan('rag', {})).toThrow(ConfigError)
    expect(() => migratePlan('rag', {})).toThrow(/DATABASE_URL: missing; required because rag needs sql/)
  })

  test('an unknown target is refused', () => {
    expect(() => migratePlan('nope', {})).toThrow(UnknownTargetError)
  })
})
