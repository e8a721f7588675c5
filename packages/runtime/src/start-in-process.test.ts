import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { text } from 'node:stream/consumers'
import { ConfigError } from '@switchyard/config'
import { defineService } from '@switchyard/kit'
import { Type } from 'typebox'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { ServiceRegistry } from './plan.ts'
import { migrateTarget, type Switchyard, start } from './start.ts'

// Two stand-in services, enough to see each port reach the right service and the call between them.
function registry(migrationsDir: string): ServiceRegistry {
  const rag = defineService({
    name: 'rag',
    configSchema: Type.Object({
      RAG_GREETING: Type.String({ default: 'hello' }),
      RAG_TOP_K: Type.Integer({ minimum: 1, default: 8 }),
    }),
    calls: ['admin'],
    needs: ['sql', 'bus', 'objects'],
    migrationsDir,
    plugin: async (app, ctx) => {
      const open = { config: { public: true } }
      app.get('/rag/notes', open, async () => {
        const result = await ctx.sql?.query<{ body: string }>('SELECT body FROM notes ORDER BY id')
        return { greeting: ctx.config.RAG_GREETING, notes: result?.rows.map((r) => r.body) }
      })
      app.get('/rag/undeclared-state', open, async () =>
        ctx.state.values.get('x').then(
          () => ({ error: null }),
          (error: Error) => ({ error: error.message }),
        ),
      )
      app.put('/rag/objects/:name', open, async (request) => {
        const { name } = request.params as { name: string }
        const objects = ctx.objects
        if (objects === undefined) throw new Error('rag lists objects in needs but got none')
        await objects.put(`org_1/${name}`, new TextEncoder().encode(String(request.body)))
        return { read: await text(await objects.get(`org_1/${name}`)) }
      })
      app.get('/rag/ask-admin', open, async () => {
        const res = await ctx.dispatcher.request({
          origin: ctx.serviceUrl('admin'),
          path: '/admin/ping',
          method: 'GET',
        })
        return { status: res.statusCode, body: await res.body.json() }
      })
    },
  })
  const admin = defineService({
    name: 'admin',
    configSchema: Type.Object({}),
    calls: [],
    needs: ['state'],
    plugin: async (app, ctx) => {
      app.get('/admin/ping', { config: { public: true } }, async () => ({
        pings: await ctx.state.values.increment('pings', 1),
      }))
      app.get('/admin/has-objects', { config: { public: true } }, async () => ({
        objects: ctx.objects !== undefined,
      }))
    },
  })
  return { rag, admin }
}

let root: string
let services: ServiceRegistry
let switchyard: Switchyard

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'switchyard-compose-'))
  const migrations = join(root, 'migrations')
  await mkdir(migrations)
  await writeFile(
    join(migrations, '001-notes.sql'),
    'CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);',
  )
  await writeFile(join(migrations, '002-seed.sql'), "INSERT INTO notes (body) VALUES ('first'), ('second');")
  services = registry(migrations)
  switchyard = await start({
    env: { SWITCHYARD_DATA_DIR: join(root, 'data'), SWITCHYARD_LOG_LEVEL: 'silent' },
    services,
    homeDir: root,
    listen: false,
  })
}, 60_000)

afterAll(async () => {
  await switchyard?.close()
  await rm(root, { recursive: true, force: true })
})

test('start (all) migrates PGlite before the services run, and a service reads it through its sql port', async () => {
  const res = await switchyard.apps.rag?.inject({ method: 'GET', url: '/rag/notes' })
  expect(res?.statusCode).toBe(200)
  expect(res?.json()).toEqual({ greeting: 'hello', notes: ['first', 'second'] })
})

test('a port a service did not declare in needs fails with the fix named', async () => {
  const res = await switchyard.apps.rag?.inject({ method: 'GET', url: '/rag/undeclared-state' })
  expect(res?.json().error).toBe(
    "rag uses the state port but does not list 'state' in its definition's needs",
  )
})

test('one service calls another in-process, without a listener, through ctx.dispatcher and serviceUrl', async () => {
  const first = await switchyard.apps.rag?.inject({ method: 'GET', url: '/rag/ask-admin' })
  const second = await switchyard.apps.rag?.inject({ method: 'GET', url: '/rag/ask-admin' })
  expect(first?.json()).toEqual({ status: 200, body: { pings: 1 } })
  // The shared in-memory state counted both calls.
  expect(second?.json()).toEqual({ status: 200, body: { pings: 2 } })
})

test('a service that needs objects stores them in a folder under the data dir; the others get none', async () => {
  const res = await switchyard.apps.rag?.inject({
    method: 'PUT',
    url: '/rag/objects/report.txt',
    headers: { 'content-type': 'text/plain' },
    payload: 'quarterly numbers',
  })
  expect(res?.json()).toEqual({ read: 'quarterly numbers' })
  expect(await readFile(join(root, 'data', 'objects', 'org_1', 'report.txt~'), 'utf8')).toBe(
    'quarterly numbers',
  )
  const admin = await switchyard.apps.admin?.inject({ method: 'GET', url: '/admin/has-objects' })
  expect(admin?.json()).toEqual({ objects: false })
})

test('readiness checks exactly the backends in use', async () => {
  const res = await switchyard.app.inject({ method: 'GET', url: '/readyz' })
  expect(res.statusCode).toBe(200)
  expect(Object.keys(res.json().checks).sort()).toEqual([
    'bus:in-process',
    'objects:folder',
    'sql:pglite',
    'state:memory',
  ])
})

test('every bad key of every service is reported in one ConfigError, before anything opens', async () => {
  const strict = {
    ...services,
    gateway: defineService({
      name: 'gateway',
      configSchema: Type.Object({ GATEWAY_ISSUER: Type.String() }),
      calls: [],
      needs: [],
      plugin: async () => {},
    }),
  }
  const dataDir = join(root, 'never-created')
  const error = await start({
    env: { SWITCHYARD_DATA_DIR: dataDir, RAG_TOP_K: 'many' },
    services: strict,
    homeDir: root,
  })
    .then(() => null)
    .catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ConfigError)
  expect((error as ConfigError).issues.map((i) => i.key)).toEqual(['RAG_TOP_K', 'GATEWAY_ISSUER'])
  await expect(access(dataDir)).rejects.toThrow('ENOENT')
})

test('migrate (all) on the same data dir finds everything applied, once the app has closed', async () => {
  await switchyard.close()
  const { reports } = await migrateTarget({
    env: { SWITCHYARD_DATA_DIR: join(root, 'data') },
    services,
    homeDir: root,
  })
  expect(reports).toEqual([
    { service: 'rag', applied: [], alreadyApplied: ['001-notes.sql', '002-seed.sql'] },
    { service: 'admin', applied: [], alreadyApplied: [] },
  ])
})
