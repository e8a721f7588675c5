import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { getInfra } from '../infra-env.ts'
import { postgresVersion } from '../infra-versions.ts'

const { postgresUrl } = getInfra()
const pool = new pg.Pool({ connectionString: postgresUrl, max: 2 })
const table = `test_backends_${randomUUID().replaceAll('-', '')}`

beforeAll(async () => {
  console.log(`postgres: ${await postgresVersion(postgresUrl)}`)
})

afterAll(async () => {
  await pool.query(`DROP TABLE IF EXISTS ${table}`)
  await pool.end()
})

test('a table takes rows and gives them back by a filtered, ordered query', async () => {
  await pool.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, org_id text NOT NULL, name text NOT NULL)`)
  const rows = [
    ['org-a', 'carol'],
    ['org-b', 'bob'],
    ['org-a', 'alice'],
  ]
  for (const [orgId, name] of rows) {
    await pool.query(`INSERT INTO ${table} (org_id, name) VALUES ($1, $2)`, [orgId, name])
  }
  const { rows: found } = await pool.query<{ name: string }>(
    `SELECT name FROM ${table} WHERE org_id = $1 ORDER BY name`,
    ['org-a'],
  )
  expect(found.map((row) => row.name)).toEqual(['alice', 'carol'])
})

test('a failed transaction leaves nothing behind', async () => {
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${table} (id serial PRIMARY KEY, org_id text NOT NULL, name text NOT NULL)`,
  )
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query(`INSERT INTO ${table} (org_id, name) VALUES ('org-tx', 'dave')`)
    await expect(client.query(`INSERT INTO ${table} (org_id, name) VALUES ('org-tx', NULL)`)).rejects.toThrow(
      /null/,
    )
    await client.query('ROLLBACK')
  } finally {
    client.release()
  }
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE org_id = 'org-tx'`)
  expect(rows[0].n).toBe(0)
})
