import { buildTestApp, standIn } from '@switchyard/testing'
import { expect, onTestFinished, test } from 'vitest'
import { ragService } from './service.ts'

test('rag starts on its migrated database: its tables exist, each with org_id', async () => {
  // A stand-in with SQL shares the one-process database, to look at what the migration made.
  const peer = standIn('admin', { needs: ['sql'] })
  const app = await buildTestApp({
    services: { rag: ragService, 'llm-router': standIn('llm-router').service, admin: peer.service },
  })
  onTestFinished(() => app.close())
  const ready = await app.app('rag').inject({ method: 'GET', url: '/readyz' })
  expect(ready.statusCode).toBe(200)
  const { rows } = await (peer.context().sql as NonNullable<ReturnType<typeof peer.context>['sql']>).query<{
    table_name: string
  }>(
    `SELECT table_name FROM information_schema.columns
      WHERE column_name = 'org_id' AND table_name = ANY($1) ORDER BY table_name`,
    [['files', 'vector_stores', 'vector_store_files', 'file_batches']],
  )
  expect(rows.map((r) => r.table_name)).toEqual([
    'file_batches',
    'files',
    'vector_store_files',
    'vector_stores',
  ])
})
