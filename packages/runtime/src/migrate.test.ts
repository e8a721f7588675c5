import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import { MigrationError, migrate } from './migrate.ts'
import { type LocalPostgres, PGLITE_MAX_CONNECTIONS, startLocalPostgres } from './pglite.ts'

let local: LocalPostgres
let pool: pg.Pool

beforeAll(async () => {
  local = await startLocalPostgres()
  pool = new pg.Pool({ connectionString: local.url, max: PGLITE_MAX_CONNECTIONS })
}, 60_000)
afterAll(async () => {
  await pool?.end()
  await local?.close()
})

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-migrations-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql)
  return dir
}

describe('migrate on PGlite', () => {
  test('applies files in numeric order, each recorded once, and a rerun applies nothing', async () => {
    // 101 must run before 1000 although '1000' sorts first as text.
    const dir = await migrationsDir({
      '1000-add-title.sql': 'ALTER TABLE ordered_notes ADD COLUMN title text;',
      '002-create-notes.sql':
        'CREATE EXTENSION IF NOT EXISTS vector; CREATE TABLE ordered_notes (id int PRIMARY KEY, embedding vector(3));',
      '101-seed.sql': "INSERT INTO ordered_notes (id, embedding) VALUES (1, '[1,2,3]');",
      'README.md': 'not a migration',
    })
    const first = await migrate(pool, [{ name: 'ordered', migrationsDir: dir }])
    expect(first).toEqual([
      {
        service: 'ordered',
        applied: ['002-create-notes.sql', '101-seed.sql', '1000-add-title.sql'],
        alreadyApplied: [],
      },
    ])
    const rows = await pool.query(
      'SELECT name FROM switchyard_migrations WHERE service = $1 ORDER BY applied_at, name',
      ['ordered'],
    )
    expect(rows.rows.map((r) => r.name)).toHaveLength(3)

    const second = await migrate(pool, [{ name: 'ordered', migrationsDir: dir }])
    expect(second[0]?.applied).toEqual([])
    expect(second[0]?.alreadyApplied).toHaveLength(3)
    const notes = await pool.query('SELECT id, title FROM ordered_notes')
    expect(notes.rows).toEqual([{ id: 1, title: null }])
  })

  test('a changed applied file is refused and nothing else is applied', async () => {
    const dir = await migrationsDir({ '001-create.sql': 'CREATE TABLE guarded (id int);' })
    await migrate(pool, [{ name: 'guarded', migrationsDir: dir }])

    await writeFile(join(dir, '001-create.sql'), 'CREATE TABLE guarded (id bigint);')
    await writeFile(join(dir, '002-more.sql'), 'CREATE TABLE guarded_more (id int);')
    const error = await migrate(pool, [{ name: 'guarded', migrationsDir: dir }]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MigrationError)
    expect((error as MigrationError).problems).toEqual([
      expect.stringContaining('guarded: 001-create.sql changed'),
    ])
    const more = await pool.query("SELECT to_regclass('guarded_more') AS t")
    expect(more.rows[0].t).toBeNull()
  })

  test('a failing file is rolled back whole and not recorded', async () => {
    const dir = await migrationsDir({
      '001-half.sql': 'CREATE TABLE half_done (id int); SELECT * FROM no_such_table;',
    })
    const error = await migrate(pool, [{ name: 'half', migrationsDir: dir }]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MigrationError)
    expect((error as MigrationError).message).toContain('001-half.sql failed')
    const table = await pool.query("SELECT to_regclass('half_done') AS t")
    expect(table.rows[0].t).toBeNull()
    const recorded = await pool.query('SELECT 1 FROM switchyard_migrations WHERE service = $1', ['half'])
    expect(recorded.rowCount).toBe(0)
  })

  test('badly named or duplicate-numbered files are refused before anything runs', async () => {
    const dir = await migrationsDir({
      'create.sql': 'CREATE TABLE unnamed (id int);',
      '001-a.sql': 'CREATE TABLE dup_a (id int);',
      '0001-b.sql': 'CREATE TABLE dup_b (id int);',
    })
    const error = await migrate(pool, [{ name: 'names', migrationsDir: dir }]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MigrationError)
    expect((error as MigrationError).problems).toHaveLength(2)
    const tables = await pool.query("SELECT to_regclass('dup_a') AS a, to_regclass('unnamed') AS u")
    expect(tables.rows[0]).toEqual({ a: null, u: null })
  })

  test('a service without a migrations folder has nothing to apply', async () => {
    expect(await migrate(pool, [{ name: 'none' }])).toEqual([
      { service: 'none', applied: [], alreadyApplied: [] },
    ])
  })
})
