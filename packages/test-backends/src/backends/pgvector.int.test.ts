import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { getInfra } from '../infra-env.ts'
import { pgvectorVersion } from '../infra-versions.ts'

const { pgvectorUrl } = getInfra()
const pool = new pg.Pool({ connectionString: pgvectorUrl, max: 2 })
const table = `test_vectors_${randomUUID().replaceAll('-', '')}`

type Vec = [number, number, number]

/** Deterministic pseudo-random vectors (a fixed LCG), so a failure can be replayed. */
function vectors(count: number, seed: number): Vec[] {
  let state = seed
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31
    return state / 2 ** 31 - 0.5
  }
  return Array.from({ length: count }, () => [next(), next(), next()] as Vec)
}

const cosineDistance = (a: Vec, b: Vec): number => {
  const dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
  const norm = (v: Vec) => Math.hypot(v[0], v[1], v[2])
  return 1 - dot / (norm(a) * norm(b))
}

const literal = (v: Vec) => `[${v.join(',')}]`

beforeAll(async () => {
  await pool.query('CREATE EXTENSION IF NOT EXISTS vector')
  console.log(`pgvector: ${await pgvectorVersion(pgvectorUrl)}`)
})

afterAll(async () => {
  await pool.query(`DROP TABLE IF EXISTS ${table}`)
  await pool.end()
})

test('an HNSW cosine index returns the nearest neighbours in cosine-distance order', async () => {
  const stored = vectors(40, 7)
  await pool.query(`CREATE TABLE ${table} (id int PRIMARY KEY, embedding vector(3) NOT NULL)`)
  await pool.query(`CREATE INDEX ON ${table} USING hnsw (embedding vector_cosine_ops)`)
  for (const [id, v] of stored.entries()) {
    await pool.query(`INSERT INTO ${table} (id, embedding) VALUES ($1, $2)`, [id, literal(v)])
  }
  const query: Vec = [0.3, -0.2, 0.9]
  const expected = stored
    .map((v, id) => ({ id, distance: cosineDistance(v, query) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 5)

  const client = await pool.connect()
  try {
    // The index must answer (not a sequential scan), and search wider than the table so the
    // approximate search is exact here.
    await client.query('SET enable_seqscan = off')
    await client.query('SET hnsw.ef_search = 100')
    const sql = `SELECT id, embedding <=> $1 AS distance FROM ${table} ORDER BY embedding <=> $1 LIMIT 5`
    const plan = await client.query(`EXPLAIN ${sql}`, [literal(query)])
    expect(plan.rows.map((row) => row['QUERY PLAN']).join('\n')).toMatch(
      /Index Scan using .*hnsw|embedding_idx/,
    )
    const { rows } = await client.query<{ id: number; distance: number }>(sql, [literal(query)])
    expect(rows.map((row) => row.id)).toEqual(expected.map((e) => e.id))
    for (const [i, row] of rows.entries())
      expect(row.distance).toBeCloseTo(expected[i]?.distance ?? Number.NaN, 5)
  } finally {
    client.release()
  }
})
