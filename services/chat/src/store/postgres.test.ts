import { buildTestApp, standIn, type TestApp } from '@switchyard/testing'
import { afterAll, beforeAll } from 'vitest'
import { chatStoreContract } from './chat-store.contract.ts'
import { migrationsDir } from './migrations-dir.ts'
import { createPostgresChatStore } from './postgres.ts'

// The PostgreSQL store on PGlite, reached the way the one-process shape reaches it: the runtime
// starts PGlite, applies chat's migrations and hands the SQL port to a service (here a stand-in
// for chat that only keeps it).
const keeper = standIn('chat', { needs: ['sql'], migrationsDir })
let testApp: TestApp

beforeAll(async () => {
  testApp = await buildTestApp({ services: { chat: keeper.service } })
}, 60_000)

afterAll(() => testApp?.close())

chatStoreContract('postgres on PGlite', async () => {
  const { sql } = keeper.context()
  if (!sql) throw new Error('the runtime handed no SQL port')
  return { store: createPostgresChatStore(sql) }
})
