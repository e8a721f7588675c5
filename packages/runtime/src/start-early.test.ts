import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '@switchyard/config'
import { defineService } from '@switchyard/kit'
import { Type } from 'typebox'
import { expect, onTestFinished, test } from 'vitest'
import { startLocalPostgres } from './pglite.ts'
import { start } from './start.ts'

/** A service that keeps its data in SQL: with it, the one-process shape opens the embedded database. */
const sqlUser = defineService({
  name: 'admin',
  configSchema: Type.Object({}),
  calls: [],
  needs: ['sql'],
  plugin: async () => {},
})

// What bin.ts does: the embedded database starts opening before start() is called.
async function setup() {
  const root = await mkdtemp(join(tmpdir(), 'switchyard-early-'))
  onTestFinished(() => rm(root, { recursive: true, force: true }))
  const env = { SWITCHYARD_DATA_DIR: join(root, 'data'), SWITCHYARD_LOG_LEVEL: 'silent' }
  const early = (dataDir: string) => ({ dataDir, opening: startLocalPostgres({ dataDir }) })
  const released = (dataDir: string) =>
    access(`${dataDir}.lock`).then(
      () => false,
      () => true,
    )
  return { root, env, early, released, pgliteDir: join(root, 'data', 'pglite') }
}

test('start uses a database opened early for its data dir instead of opening a second one', async () => {
  const { root, env, early, released, pgliteDir } = await setup()
  // A second open of the dir in this process would be refused, so a start that works reused it.
  const switchyard = await start({
    env,
    services: { admin: sqlUser },
    homeDir: root,
    listen: false,
    localPostgres: early(pgliteDir),
  })
  const ready = await switchyard.app.inject({ method: 'GET', url: '/readyz' })
  expect(ready.json().checks['sql:pglite'].status).toBe('ok')
  await switchyard.close()
  expect(await released(pgliteDir)).toBe(true)
})

test('a database opened early for another dir is closed, and start opens its own', async () => {
  const { root, env, early, released, pgliteDir } = await setup()
  const stray = join(root, 'elsewhere')
  const switchyard = await start({
    env,
    services: { admin: sqlUser },
    homeDir: root,
    listen: false,
    localPostgres: early(stray),
  })
  expect(await released(stray)).toBe(true)
  expect(await released(pgliteDir)).toBe(false)
  await switchyard.close()
  expect(await released(pgliteDir)).toBe(true)
})

test('a start that fails on config still closes the database opened early', async () => {
  const { root, env, early, released, pgliteDir } = await setup()
  const strict = defineService({
    name: 'admin',
    configSchema: Type.Object({ ADMIN_SECRET: Type.String() }),
    calls: [],
    needs: ['sql'],
    plugin: async () => {},
  })
  const opened = early(pgliteDir)
  await opened.opening
  const failure = start({ env, services: { admin: strict }, homeDir: root, localPostgres: opened })
  await expect(failure).rejects.toThrow(ConfigError)
  expect(await released(pgliteDir)).toBe(true)
})

test('a process whose services keep nothing in SQL opens no database, and closes one opened early', async () => {
  const { root, env, early, released, pgliteDir } = await setup()
  const stateless = defineService({
    name: 'llm-router',
    configSchema: Type.Object({}),
    calls: [],
    needs: ['state'],
    plugin: async () => {},
  })
  const switchyard = await start({
    env,
    services: { 'llm-router': stateless },
    homeDir: root,
    listen: false,
    localPostgres: early(pgliteDir),
  })
  expect(await released(pgliteDir)).toBe(true)
  const ready = await switchyard.app.inject({ method: 'GET', url: '/readyz' })
  expect(Object.keys(ready.json().checks)).not.toContain('sql:pglite')
  await switchyard.close()
})
