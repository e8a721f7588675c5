// Search on the real PostgreSQL + pgvector server (deploy/local's PostgreSQL 18 with pgvector 0.8),
// migrated by the runtime's own `migrate`, in a database of its own.
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { migrate } from '@switchyard/runtime'
import { getInfra } from '@switchyard/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { searchChunks } from './search.ts'
import type { SearchSqlInput } from './search-sql.ts'
import { searchSql } from './search-sql.ts'
import { seededVector, seedStore, vectorLiteral } from './test-seed.ts'

const database = `switchyard_rag_${randomUUID().replaceAll('-', '')}`
const migrationsDir = fileURLToPath(new URL('../../migrations', import.meta.url))
let root: pg.Client
let pool: pg.Pool
/**
 * A pool whose planner takes the HNSW index whenever it can: on a table this small it would rather
 * read the store's rows and sort them (exact, and right to), as it would not on a big one. The test
 * about the index uses it, and checks the plan.
 */
let indexPool: pg.Pool

beforeAll(async () => {
  const { pgvectorUrl } = getInfra()
  root = new pg.Client({ connectionString: pgvectorUrl })
  await root.connect()
  await root.query(`CREATE DATABASE ${database}`)
  const url = new URL(pgvectorUrl)
  url.pathname = `/${database}`
  pool = new pg.Pool({ connectionString: url.toString(), max: 4 })
  pool.on('error', () => {})
  indexPool = new pg.Pool({
    connectionString: url.toString(),
    max: 2,
    options: '-c enable_seqscan=off -c enable_bitmapscan=off -c enable_sort=off',
  })
  indexPool.on('error', () => {})
  await migrate(pool, [{ name: 'rag', migrationsDir }])
})
afterAll(async () => {
  await pool?.end()
  await indexPool?.end()
  await root?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await root?.end()
})

const base = (over: Partial<SearchSqlInput>): SearchSqlInput => ({
  orgId: 'org_a',
  vectorStoreId: 'vs_big',
  mode: 'vector',
  queries: ['query'],
  vectors: [vectorLiteral(seededVector(999_999, 384))],
  dims: 384,
  language: 'english',
  candidates: 20,
  limit: 10,
  scoreThreshold: 0,
  ...over,
})

describe('a store of 2,000 chunks where one file in a hundred is tagged rare', () => {
  beforeAll(async () => {
    // 100 files of 20 chunks; file 0 is the 1% the filter keeps.
    await seedStore(pool, {
      orgId: 'org_a',
      vectorStoreId: 'vs_big',
      dims: 384,
      files: Array.from({ length: 100 }, (_, f) => ({
        fileId: `file-big-${f}`,
        attributes: { tag: f === 0 ? 'rare' : 'common', rank: f },
        chunks: Array.from(
          { length: 20 },
          (_, c) => `chunk ${c} of file ${f} about topic${(f * 20 + c) % 7}`,
        ),
      })),
    })
    await pool.query('ANALYZE chunks')
  })

  test('a filter keeping 1% still returns max_num_results through the HNSW index (iterative scan)', async () => {
    // `in` is not served by the attributes' GIN index: the HNSW scan filters as it goes.
    const input = base({ filter: { type: 'in', key: 'tag', value: ['rare'] } })
    const { hits, unknownKeys } = await searchChunks(indexPool, input)
    expect(unknownKeys).toEqual([])
    expect(hits).toHaveLength(10)
    expect(new Set(hits.map((h) => h.file_id))).toEqual(new Set(['file-big-0']))
    const scores = hits.map((h) => h.score)
    expect(scores).toEqual([...scores].sort((a, b) => b - a))
    // And they are the exact top 10 under the filter.
    const exact = await pool.query<{ id: string }>(
      `SELECT id::text FROM chunks WHERE org_id = 'org_a' AND vector_store_id = 'vs_big' AND attributes @> '{"tag":"rare"}'
       ORDER BY embedding <=> $1::vector LIMIT 10`,
      [input.vectors[0]],
    )
    expect(hits.map((h) => h.chunk_id)).toEqual(exact.rows.map((r) => r.id))

    // The same statement without iterative scans: the index's first ef_search neighbours hold
    // about 1% rare chunks, so the filter leaves fewer than 10. This is what the SET LOCAL fixes,
    // and the plan shows the index (not an exact scan) served the query.
    const statement = searchSql(input)
    const client = await indexPool.connect()
    try {
      await client.query('BEGIN; SET LOCAL hnsw.iterative_scan = off; SET LOCAL hnsw.ef_search = 40')
      const plain = await client.query<{ results: unknown[] }>(statement.text, statement.values)
      const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement.text}`, statement.values)
      await client.query('COMMIT')
      expect(plain.rows[0]?.results.length).toBeLessThan(10)
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(
        /Index Scan using chunks_embedding_384/,
      )
    } finally {
      client.release()
    }
  })

  test('a filter the attributes index serves gives the same exact top 10 without the HNSW index', async () => {
    const { hits } = await searchChunks(pool, base({ filter: { type: 'eq', key: 'tag', value: 'rare' } }))
    expect(hits).toHaveLength(10)
    expect(new Set(hits.map((h) => h.file_id))).toEqual(new Set(['file-big-0']))
  })

  test.each([
    ['ne', { type: 'ne', key: 'tag', value: 'common' }, (f: number) => f === 0],
    ['gt', { type: 'gt', key: 'rank', value: 97 }, (f: number) => f > 97],
    ['lte', { type: 'lte', key: 'rank', value: 1 }, (f: number) => f <= 1],
    ['in', { type: 'in', key: 'rank', value: [3, 5] }, (f: number) => f === 3 || f === 5],
    ['nin', { type: 'nin', key: 'tag', value: ['common'] }, (f: number) => f === 0],
    [
      'and/or',
      {
        type: 'or',
        filters: [
          { type: 'eq', key: 'rank', value: 7 },
          {
            type: 'and',
            filters: [
              { type: 'gte', key: 'rank', value: 50 },
              { type: 'lt', key: 'rank', value: 51 },
            ],
          },
        ],
      },
      (f: number) => f === 7 || f === 50,
    ],
    // A string is never ordered against numbers: no file matches.
    ['typed gt', { type: 'gt', key: 'rank', value: 'a' }, () => false],
  ] as const)('filter %s keeps exactly the files it names', async (_, filter, keeps) => {
    const { hits } = await searchChunks(pool, base({ filter: filter as SearchSqlInput['filter'], limit: 50 }))
    const files = new Set(hits.map((h) => Number(h.file_id.replace('file-big-', ''))))
    for (const f of files) expect(keeps(f)).toBe(true)
    const expected = Array.from({ length: 100 }, (_, f) => f).filter(keeps).length
    expect(hits.length).toBe(Math.min(50, expected * 20))
  })

  test('a filter on a key no file has is reported, with the keys that are known left out', async () => {
    const { unknownKeys } = await searchChunks(
      pool,
      base({
        filter: {
          type: 'and',
          filters: [
            { type: 'eq', key: 'tag', value: 'x' },
            { type: 'eq', key: 'colour', value: 'red' },
          ],
        },
      }),
    )
    expect(unknownKeys).toEqual(['colour'])
  })
})

describe('full text and hybrid', () => {
  beforeAll(async () => {
    await seedStore(pool, {
      orgId: 'org_a',
      vectorStoreId: 'vs_text',
      dims: 8,
      files: [
        {
          fileId: 'file-text-1',
          attributes: { lang: 'en' },
          chunks: [
            'The wing flutter of supersonic aircraft was measured in a wind tunnel.',
            'Boundary layer transition on a flat plate at low speeds.',
            'Heat transfer to blunt bodies in hypersonic flow.',
          ],
        },
      ],
    })
  })

  test('fulltext matches stemmed terms and ranks the chunk holding more of them first', async () => {
    const { hits } = await searchChunks(
      pool,
      base({
        vectorStoreId: 'vs_text',
        mode: 'fulltext',
        queries: ['flutter of wings in supersonic flows'],
        vectors: [],
        dims: 8,
      }),
    )
    expect(hits[0]?.text).toMatch(/^The wing flutter/)
    expect(hits.map((h) => h.text)).toContain('Heat transfer to blunt bodies in hypersonic flow.')
    expect(hits.every((h) => h.score > 0 && h.score < 1)).toBe(true)
  })

  test('hybrid fuses both lists; a chunk first in both scores 1', async () => {
    // The query vector is chunk 0's own: first in the vector list, and first in the text list.
    const { hits } = await searchChunks(
      pool,
      base({
        vectorStoreId: 'vs_text',
        mode: 'hybrid',
        queries: ['supersonic wing flutter'],
        vectors: [vectorLiteral(seededVector(0, 8))],
        dims: 8,
      }),
    )
    expect(hits[0]).toMatchObject({ file_id: 'file-text-1', chunk_index: 0, filename: 'file-text-1.txt' })
    expect(hits[0]?.score).toBeCloseTo(1, 10)
    expect(hits).toHaveLength(3)
  })

  test('score_threshold drops what scores below it', async () => {
    const all = await searchChunks(
      pool,
      base({ vectorStoreId: 'vs_text', vectors: [vectorLiteral(seededVector(0, 8))], dims: 8 }),
    )
    const cut = (all.hits[1]?.score ?? 0) + 1e-9
    const kept = await searchChunks(
      pool,
      base({
        vectorStoreId: 'vs_text',
        vectors: [vectorLiteral(seededVector(0, 8))],
        dims: 8,
        scoreThreshold: cut,
      }),
    )
    expect(kept.hits.map((h) => h.chunk_id)).toEqual([all.hits[0]?.chunk_id])
  })
})

test('another org never sees a chunk, even naming the store', async () => {
  await seedStore(pool, {
    orgId: 'org_b',
    vectorStoreId: 'vs_other',
    dims: 8,
    files: [{ fileId: 'file-other', attributes: { k: 'v' }, chunks: ['secret wing flutter notes'] }],
  })
  for (const mode of ['vector', 'fulltext', 'hybrid'] as const) {
    const { hits, unknownKeys } = await searchChunks(
      pool,
      base({
        orgId: 'org_a',
        vectorStoreId: 'vs_other',
        mode,
        queries: ['wing flutter'],
        vectors: mode === 'fulltext' ? [] : [vectorLiteral(seededVector(0, 8))],
        dims: 8,
        filter: { type: 'eq', key: 'k', value: 'v' },
      }),
    )
    expect(hits).toEqual([])
    // Not even the store's attribute keys leak.
    expect(unknownKeys).toEqual(['k'])
  }
  const own = await searchChunks(
    pool,
    base({
      orgId: 'org_b',
      vectorStoreId: 'vs_other',
      vectors: [vectorLiteral(seededVector(0, 8))],
      dims: 8,
    }),
  )
  expect(own.hits.map((h) => h.text)).toEqual(['secret wing flutter notes'])
})

test('a file’s attributes changed later are what filters see', async () => {
  await seedStore(pool, {
    orgId: 'org_a',
    vectorStoreId: 'vs_attrs',
    dims: 8,
    files: [{ fileId: 'file-attrs', attributes: { stage: 'draft' }, chunks: ['one', 'two'] }],
  })
  const find = (stage: string) =>
    searchChunks(
      pool,
      base({
        vectorStoreId: 'vs_attrs',
        dims: 8,
        vectors: [vectorLiteral(seededVector(1, 8))],
        filter: { type: 'eq', key: 'stage', value: stage },
      }),
    )
  expect((await find('draft')).hits).toHaveLength(2)
  await pool.query(
    `UPDATE vector_store_files SET attributes = '{"stage":"final"}' WHERE file_id = 'file-attrs'`,
  )
  expect((await find('draft')).hits).toHaveLength(0)
  expect((await find('final')).hits.map((h) => h.attributes)).toEqual([
    { stage: 'final' },
    { stage: 'final' },
  ])
})
