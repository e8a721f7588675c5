import { loadConfig } from '@switchyard/config'
import { planStart, RuntimeConfig, UnknownTargetError } from '@switchyard/runtime'
import { expect, test } from 'vitest'
import { services } from './targets.ts'

const plan = (target: string, env: Record<string, string> = {}) =>
  planStart({ target, services, config: loadConfig(RuntimeConfig, env), homeDir: '/home/ada' })

test('all: every registered service on embedded backends, one loopback listener on 8080, ephemeral keys', () => {
  const result = plan('all')
  expect(result.services.map((s) => s.name)).toEqual([
    'gateway',
    'llm-router',
    'chat',
    'agent',
    'rag',
    'rag-worker',
    'admin',
  ])
  expect(result).toMatchObject({
    shape: 'all',
    sql: { impl: 'pglite', dataDir: '/home/ada/.switchyard/pglite' },
    bus: { impl: 'in-process' },
    state: { impl: 'memory' },
    cassandra: null,
    peers: { transport: 'in-process' },
    dataDir: '/home/ada/.switchyard',
    listen: { host: '127.0.0.1', port: 8080 },
    identity: { keys: 'ephemeral' },
  })
  // Exactly these grants: an extra port for any service would be wiring it did not ask for.
  // chat's Cassandra need is SQL in one process.
  expect(result.grants).toEqual({
    gateway: ['bus', 'state'],
    'llm-router': ['bus', 'state'],
    chat: ['sql', 'state', 'bus'],
    agent: ['sql', 'state', 'bus'],
    rag: ['sql', 'bus', 'objects'],
    'rag-worker': ['sql', 'bus', 'objects'],
    admin: ['sql', 'bus'],
  })
})

test('an unknown target is refused with every registered one listed', () => {
  expect(() => plan('nope')).toThrow(UnknownTargetError)
  expect(() => plan('nope')).toThrow(
    'valid targets: all, gateway, llm-router, chat, agent, rag, rag-worker, admin',
  )
})

test('rag-worker: rag backends, and the worker key it signs with (the gateway key is not needed)', () => {
  const backends = {
    DATABASE_URL: 'postgres://rag@pg/rag',
    KAFKA_BROKERS: 'kafka:9092',
    SWITCHYARD_S3_BUCKET: 'switchyard-objects',
    INTERNAL_TOKEN_PUBLIC_KEY: 'public-pem',
  }
  expect(() => plan('rag-worker', backends)).toThrow(
    'INTERNAL_TOKEN_WORKER_PRIVATE_KEY: missing; required because rag-worker signs worker tokens',
  )
  const result = plan('rag-worker', { ...backends, INTERNAL_TOKEN_WORKER_PRIVATE_KEY: 'worker-pem' })
  expect(result.grants).toEqual({ 'rag-worker': ['sql', 'bus', 'objects'] })
  expect(result.identity).toEqual({
    keys: 'configured',
    publicKey: 'public-pem',
    privateKey: undefined,
    workerPrivateKey: 'worker-pem',
  })
  // The router verifies worker tokens with the public half.
  const router = plan('llm-router', {
    ...backends,
    REDIS_URL: 'redis://redis:6379',
    INTERNAL_TOKEN_WORKER_PUBLIC_KEY: 'worker-public-pem',
  })
  expect(router.identity).toMatchObject({ workerPublicKey: 'worker-public-pem' })
})
