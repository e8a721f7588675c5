import { randomUUID } from 'node:crypto'
import { migrate } from '@switchyard/runtime'
import { getInfra } from '@switchyard/testing'
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import { chatStoreContract } from './chat-store.contract.ts'
import { migrationsDir } from './migrations-dir.ts'
import { createPostgresChatStore } from './postgres.ts'

// The PostgreSQL store on a real server: a schema of its own, migrated by the runtime's migrator.
const { postgresUrl } = getInfra()
const schema = `chat_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`
const admin = new pg.Pool({ connectionString: postgresUrl, max: 1 })
const pool = new pg.Pool({ connectionString: postgresUrl, max: 4, options: `-c search_path=${schema}` })

beforeAll(async () => {
  await admin.query(`CREATE SCHEMA ${schema}`)
  await migrate(pool, [{ name: 'chat', migrationsDir }])
})

afterAll(async () => {
  await pool.end()
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  await admin.end()
})

chatStoreContract('postgres', async () => ({ store: createPostgresChatStore(pool) }))
