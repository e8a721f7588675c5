import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineService, generateInternalKeyPair, type ServiceContext } from '@switchyard/kit'
import { createScratchDatabase, getInfra } from '@switchyard/test-backends'
import { Type } from 'typebox'
import { expect, onTestFinished, test } from 'vitest'
import { migrateTarget, start } from './start.ts'

async function startWithSql(env: Record<string, string>) {
  const infra = await getInfra()
  const root = await mkdtemp(join(tmpdir(), 'switchyard-timeout-'))
  onTestFinished(() => rm(root, { recursive: true, force: true }))
  let sql: ServiceContext['sql']
  const rag = defineService({
    name: 'rag',
    configSchema: Type.Object({}),
    calls: [],
    needs: ['sql'],
    plugin: async (_app, ctx) => {
      sql = ctx.sql
    },
  })
  const switchyard = await start({
    target: 'rag',
    services: { rag },
    homeDir: root,
    listen: false,
    env: {
      SWITCHYARD_DATA_DIR: join(root, 'data'),
      SWITCHYARD_LOG_LEVEL: 'silent',
      DATABASE_URL: infra.postgresUrl,
      INTERNAL_TOKEN_PUBLIC_KEY: generateInternalKeyPair().publicKey,
      ...env,
    },
  })
  onTestFinished(() => switchyard.close())
  if (!sql) throw new Error('the stand-in got no SQL pool')
  return sql
}

test('a query running past DATABASE_STATEMENT_TIMEOUT_MS is cancelled; the pool keeps serving', async () => {
  const sql = await startWithSql({ DATABASE_STATEMENT_TIMEOUT_MS: '200' })
  const { rows } = await sql.query<{ statement_timeout: string }>('SHOW statement_timeout')
  expect(rows[0]?.statement_timeout).toBe('200ms')
  // Far longer than the limit: only the server's cancel ends it (57014: query_canceled).
  const error = await sql.query('SELECT pg_sleep(600)').catch((e: unknown) => e)
  expect(error).toMatchObject({ code: '57014' })
  expect(String((error as Error).message)).toMatch(/statement timeout/)
  const after = await sql.query<{ one: number }>('SELECT 1 AS one')
  expect(after.rows[0]?.one).toBe(1)
})

test('without the key, every connection has a 30 s statement timeout', async () => {
  const sql = await startWithSql({})
  const { rows } = await sql.query<{ statement_timeout: string }>('SHOW statement_timeout')
  expect(rows[0]?.statement_timeout).toBe('30s')
})

test('migrations run without the timeout', async () => {
  const database = await createScratchDatabase('timeout', { max: 1 })
  onTestFinished(() => database.drop())
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-timeout-migrations-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  // Five times the limit: a migration (a backfill) may take longer than any request should.
  await writeFile(join(dir, '001-slow.sql'), 'SELECT pg_sleep(0.5);\nCREATE TABLE slow_done (id int);\n')
  const rag = defineService({
    name: 'rag',
    configSchema: Type.Object({}),
    calls: [],
    needs: ['sql'],
    migrationsDir: dir,
    plugin: async () => {},
  })
  const { reports } = await migrateTarget({
    target: 'rag',
    services: { rag },
    env: {
      SWITCHYARD_LOG_LEVEL: 'silent',
      DATABASE_URL: database.url.toString(),
      DATABASE_STATEMENT_TIMEOUT_MS: '100',
    },
  })
  expect(reports).toEqual([{ service: 'rag', applied: ['001-slow.sql'], alreadyApplied: [] }])
})
