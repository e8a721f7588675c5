import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineService, generateInternalKeyPair, type ServiceContext } from '@switchyard/kit'
import { getInfra } from '@switchyard/test-backends'
import { Type } from 'typebox'
import { expect, onTestFinished, test } from 'vitest'
import { start } from './start.ts'

// A stand-in with every production backend a single target can have except Cassandra (tested below).
const rag = defineService({
  name: 'rag',
  configSchema: Type.Object({}),
  calls: [],
  needs: ['sql', 'bus', 'state'],
  plugin: async (app, ctx) => {
    app.get('/rag/probe', { config: { public: true } }, async () => {
      const { rows } = (await ctx.sql?.query<{ one: number }>('SELECT 1 AS one')) ?? { rows: [] }
      return { one: rows[0]?.one, counter: await ctx.state.values.increment(`probe-${randomUUID()}`, 2) }
    })
  },
})

test('start --target=rag runs on PostgreSQL, Kafka and Redis, ready on exactly those, and closes them', async () => {
  const infra = await getInfra()
  const root = await mkdtemp(join(tmpdir(), 'switchyard-target-'))
  onTestFinished(() => rm(root, { recursive: true, force: true }))
  const switchyard = await start({
    target: 'rag',
    services: { rag },
    homeDir: root,
    listen: false,
    env: {
      SWITCHYARD_DATA_DIR: join(root, 'data'),
      SWITCHYARD_LOG_LEVEL: 'silent',
      DATABASE_URL: infra.postgresUrl,
      REDIS_URL: infra.redisUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      INTERNAL_TOKEN_PUBLIC_KEY: generateInternalKeyPair().publicKey,
    },
  })
  onTestFinished(() => switchyard.close())

  expect(switchyard.plan.listen.host).toBe('0.0.0.0')
  const ready = await switchyard.app.inject({ method: 'GET', url: '/readyz' })
  expect(ready.json()).toMatchObject({
    status: 'ready',
    checks: {
      'sql:postgres': { status: 'ok' },
      'bus:kafka': { status: 'ok' },
      'state:redis': { status: 'ok' },
    },
  })
  expect(Object.keys(ready.json().checks)).toHaveLength(3)

  const probe = await switchyard.app.inject({ method: 'GET', url: '/rag/probe' })
  expect(probe.json()).toEqual({ one: 1, counter: 2 })

  await switchyard.close()
  // Closing twice is harmless, and the app no longer answers.
  await switchyard.close()
  await expect(switchyard.app.inject({ method: 'GET', url: '/healthz' })).rejects.toThrow()
})

test('start --target=chat with a Cassandra need gets a connected client, ready on it, closed with the app', async () => {
  const infra = await getInfra()
  const root = await mkdtemp(join(tmpdir(), 'switchyard-target-'))
  onTestFinished(() => rm(root, { recursive: true, force: true }))
  let client: ServiceContext['cassandra']
  const chat = defineService({
    name: 'chat',
    configSchema: Type.Object({}),
    calls: [],
    needs: ['cassandra'],
    plugin: async (app, ctx) => {
      client = ctx.cassandra
      app.get('/chat/probe', { config: { public: true } }, async () => {
        const row = (await ctx.cassandra?.execute('SELECT release_version FROM system.local'))?.first()
        return { version: row?.get('release_version') }
      })
    },
  })
  const switchyard = await start({
    target: 'chat',
    services: { chat },
    homeDir: root,
    listen: false,
    env: {
      SWITCHYARD_DATA_DIR: join(root, 'data'),
      SWITCHYARD_LOG_LEVEL: 'silent',
      CASSANDRA_CONTACT_POINTS: infra.cassandraContactPoints.join(','),
      CASSANDRA_LOCAL_DC: infra.cassandraLocalDataCenter,
      INTERNAL_TOKEN_PUBLIC_KEY: generateInternalKeyPair().publicKey,
    },
  })
  onTestFinished(() => switchyard.close())

  const ready = await switchyard.app.inject({ method: 'GET', url: '/readyz' })
  expect(ready.json()).toMatchObject({ status: 'ready', checks: { cassandra: { status: 'ok' } } })
  expect(Object.keys(ready.json().checks)).toEqual(['cassandra'])
  const probe = await switchyard.app.inject({ method: 'GET', url: '/chat/probe' })
  expect(probe.json().version).toMatch(/^\d+\.\d+/)

  await switchyard.close()
  await expect(client?.execute('SELECT release_version FROM system.local')).rejects.toThrow()
})
