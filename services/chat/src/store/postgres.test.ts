import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineService, type SqlPool } from '@switchyard/kit'
import { type Switchyard, start } from '@switchyard/runtime'
import { Type } from 'typebox'
import { afterAll, beforeAll } from 'vitest'
import { chatStoreContract } from './chat-store.contract.ts'
import { migrationsDir } from './migrations-dir.ts'
import { createPostgresChatStore } from './postgres.ts'

// The PostgreSQL store on PGlite, reached the way the one-process shape reaches it: the runtime
// starts PGlite, applies chat's migrations and hands the SQL port to a service (here a stand-in
// that only keeps it).
let root: string
let switchyard: Switchyard
let sql: SqlPool | undefined

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'chat-store-pglite-'))
  const keeper = defineService({
    name: 'chat',
    configSchema: Type.Object({}),
    calls: [],
    needs: ['sql'],
    migrationsDir,
    plugin: async (_app, ctx) => {
      sql = ctx.sql
    },
  })
  switchyard = await start({
    env: { SWITCHYARD_DATA_DIR: join(root, 'data'), SWITCHYARD_LOG_LEVEL: 'silent' },
    services: { chat: keeper },
    homeDir: root,
    listen: false,
  })
}, 60_000)

afterAll(async () => {
  await switchyard?.close()
  await rm(root, { recursive: true, force: true })
})

chatStoreContract('postgres on PGlite', async () => {
  if (!sql) throw new Error('the runtime handed no SQL port')
  return { store: createPostgresChatStore(sql) }
})
