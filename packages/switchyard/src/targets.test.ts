import { loadConfig } from '@switchyard/config'
import { planStart, RuntimeConfig, UnknownTargetError } from '@switchyard/runtime'
import { expect, test } from 'vitest'
import { services } from './targets.ts'

const plan = (target: string, env: Record<string, string> = {}) =>
  planStart({ target, services, config: loadConfig(RuntimeConfig, env), homeDir: '/home/ada' })

test('all: every registered service on embedded backends, one loopback listener on 8080, ephemeral keys', () => {
  const result = plan('all')
  expect(result.services.map((s) => s.name)).toEqual(['gateway', 'llm-router', 'chat', 'rag', 'admin'])
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
    rag: ['sql', 'bus', 'objects'],
    admin: ['sql', 'bus'],
  })
})

test('an unknown target is refused with every registered one listed', () => {
  expect(() => plan('nope')).toThrow(UnknownTargetError)
  expect(() => plan('nope')).toThrow('valid targets: all, gateway, llm-router, chat, rag, admin')
})
