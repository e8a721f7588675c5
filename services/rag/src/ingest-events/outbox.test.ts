import { ragIngestV1 } from '@switchyard/contracts'
import type { SqlPool } from '@switchyard/kit'
import { alice, recordEvents } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type RagUnderTest, startRag } from '../test-support.ts'

let rag: RagUnderTest
let sql: SqlPool

beforeAll(async () => {
  rag = await startRag({ RAG_OUTBOX_RELAY_INTERVAL_MS: '100ms' })
  sql = rag.peer.context().sql as SqlPool
}, 60_000)
afterAll(() => rag?.close())

test('an attach commits its row and its outbox entry together, and the relay marks it published', async () => {
  const fileId = (await rag.upload(alice, { name: 'a.txt', content: 'a' })).json().id
  const store = (await rag.request(alice, 'POST', '/v1/vector_stores', { file_ids: [fileId] })).json()
  const { rows } = await sql.query<{ org_id: string; event_key: string; published: boolean }>(
    'SELECT org_id, event_key, published_at IS NOT NULL AS published FROM ingest_outbox',
  )
  // The request answered after the relay ran for its commit.
  expect(rows).toEqual([{ org_id: alice.orgId, event_key: `${store.id}/${fileId}`, published: true }])
})

test("an event a crash left unpublished goes out at the relay's next run", async () => {
  const events = await recordEvents(rag.peer.context().bus, ragIngestV1, 'test.crash-left')
  const payload = {
    orgId: 'org_crashed',
    vectorStoreId: 'vs_crashed',
    fileId: 'file-crashed',
    generation: 3,
    requestedBy: { userId: 'user_x', keyId: null },
    reason: 'attached',
    requestedAt: new Date(0).toISOString(),
  }
  // As if the process died between the commit and the publish.
  await sql.query('INSERT INTO ingest_outbox (org_id, event_key, payload) VALUES ($1, $2, $3)', [
    payload.orgId,
    'vs_crashed/file-crashed',
    JSON.stringify(payload),
  ])
  await expect.poll(() => events.map((e) => e.data)).toContainEqual(payload)
  expect(events.find((e) => e.data.fileId === 'file-crashed')?.key).toBe('vs_crashed/file-crashed')
  await expect
    .poll(
      async () =>
        (
          await sql.query(
            "SELECT 1 FROM ingest_outbox WHERE event_key = 'vs_crashed/file-crashed' AND published_at IS NULL",
          )
        ).rows,
    )
    .toEqual([])
})

test('a row the bus refuses is set aside with its error, and the files behind it still go out', async () => {
  const events = await recordEvents(rag.peer.context().bus, ragIngestV1, 'test.set-aside')
  const good = {
    orgId: 'org_behind',
    vectorStoreId: 'vs_behind',
    fileId: 'file-behind',
    generation: 1,
    requestedBy: { userId: 'user_x', keyId: null },
    reason: 'attached',
    requestedAt: new Date(0).toISOString(),
  }
  // A row no publish could ever take (its payload fails the topic's schema), written first.
  await sql.query(
    'INSERT INTO ingest_outbox (org_id, event_key, payload) VALUES ($1, $2, $3), ($4, $5, $6)',
    [
      'org_refused',
      'vs_refused/file-refused',
      JSON.stringify({ ...good, orgId: 'org_refused', generation: 'not a number' }),
      good.orgId,
      'vs_behind/file-behind',
      JSON.stringify(good),
    ],
  )
  // Before the shared relay, the first row's rejection ended every run: the second never went out.
  await expect.poll(() => events.map((e) => e.data)).toContainEqual(good)
  const { rows } = await sql.query<{
    event_key: string
    set_aside: boolean
    published: boolean
    error: string
  }>(
    `SELECT event_key, set_aside_at IS NOT NULL AS set_aside, published_at IS NOT NULL AS published,
            coalesce(last_error, '') AS error
       FROM ingest_outbox WHERE event_key IN ('vs_refused/file-refused', 'vs_behind/file-behind') ORDER BY id`,
  )
  expect(rows.map((r) => [r.event_key, r.set_aside, r.published])).toEqual([
    ['vs_refused/file-refused', true, false],
    ['vs_behind/file-behind', false, true],
  ])
  expect(rows[0]?.error).toMatch(/does not match its schema/)
})
