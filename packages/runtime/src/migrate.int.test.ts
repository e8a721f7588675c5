import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createScratchDatabase } from '@switchyard/test-backends'
import pg from 'pg'
import { afterAll, expect, onTestFinished, test } from 'vitest'
import { MigrationError, migrate } from './migrate.ts'

// A database of its own, so the migrations table starts absent and the suite leaves nothing behind.
const database = await createScratchDatabase('migrate', { max: 1 })
afterAll(() => database.drop())
const url = database.url.toString()

/** One pool per simulated replica: separate connections, as two pods would have. */
function replica(): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  onTestFinished(() => pool.end())
  return pool
}

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-migrations-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql)
  return dir
}

test('two replicas migrating at once apply each file exactly once', async () => {
  // The first file holds the lock long enough that the second replica must wait for it; the
  // statements are not idempotent, so a second application would fail or double the row.
  const dir = await migrationsDir({
    '001-slow.sql': 'SELECT pg_sleep(1); CREATE TABLE race_items (id int PRIMARY KEY);',
    '002-seed.sql': 'INSERT INTO race_items (id) VALUES (1);',
    '003-column.sql': 'ALTER TABLE race_items ADD COLUMN note text;',
  })
  const sources = [{ name: 'race', migrationsDir: dir }]
  let waits = 0
  const onWait = () => {
    waits++
  }
  const [a, b] = await Promise.all([
    migrate(replica(), sources, { onWait }),
    migrate(replica(), sources, { onWait }),
  ])

  expect(waits).toBe(1)
  const applied = [...(a[0]?.applied ?? []), ...(b[0]?.applied ?? [])].sort()
  expect(applied).toEqual(['001-slow.sql', '002-seed.sql', '003-column.sql'])
  const check = replica()
  const recorded = await check.query(
    'SELECT name, count(*)::int AS n FROM switchyard_migrations WHERE service = $1 GROUP BY name ORDER BY name',
    ['race'],
  )
  expect(recorded.rows).toEqual([
    { name: '001-slow.sql', n: 1 },
    { name: '002-seed.sql', n: 1 },
    { name: '003-column.sql', n: 1 },
  ])
  expect((await check.query('SELECT id, note FROM race_items')).rows).toEqual([{ id: 1, note: null }])
})

test('a changed applied file is refused on PostgreSQL, and the lock is free afterwards', async () => {
  const dir = await migrationsDir({ '001-create.sql': 'CREATE TABLE drift (id int);' })
  const pool = replica()
  await migrate(pool, [{ name: 'drift', migrationsDir: dir }])
  await writeFile(join(dir, '001-create.sql'), 'CREATE TABLE drift (id bigint);')

  const error = await migrate(pool, [{ name: 'drift', migrationsDir: dir }]).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(MigrationError)
  expect((error as MigrationError).message).toContain('001-create.sql changed after it was applied')

  // Another replica takes the lock without waiting: the refused run released it.
  let waited = false
  const other = await migrate(
    replica(),
    [{ name: 'other', migrationsDir: await migrationsDir({ '001-x.sql': 'SELECT 1;' }) }],
    {
      onWait: () => {
        waited = true
      },
    },
  )
  expect(waited).toBe(false)
  expect(other[0]?.applied).toEqual(['001-x.sql'])
})

test('a failing file rolls back on PostgreSQL and a fixed rerun applies it', async () => {
  const dir = await migrationsDir({
    '001-broken.sql': 'CREATE TABLE broken (id int); SELECT * FROM missing_table;',
  })
  const pool = replica()
  await expect(migrate(pool, [{ name: 'broken', migrationsDir: dir }])).rejects.toThrow(MigrationError)
  expect((await pool.query("SELECT to_regclass('broken') AS t")).rows[0].t).toBeNull()

  await writeFile(join(dir, '001-broken.sql'), 'CREATE TABLE broken (id int);')
  const [report] = await migrate(pool, [{ name: 'broken', migrationsDir: dir }])
  expect(report?.applied).toEqual(['001-broken.sql'])
})
