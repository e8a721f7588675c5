// A budget's spend on a real PostgreSQL: a total kept by the ledger insert, backfilled by its
// migration, equal to the ledger's sum after racing deliveries, and read without touching the ledger.
import { randomUUID } from 'node:crypto'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LlmUsageV1 } from '@switchyard/contracts'
import type { EventEnvelope } from '@switchyard/events'
import { migrate } from '@switchyard/runtime'
import { createScratchDatabase, type ScratchDatabase } from '@switchyard/testing'
import type pg from 'pg'
import { pino } from 'pino'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { newId } from '../db/ids.ts'
import { transaction } from '../db/sql.ts'
import { orgsRepository } from '../orgs/repository.ts'
import { adminService } from '../service.ts'
import { createUsageHandler } from '../usage/consumer.ts'
import { budgetsRepository } from './repository.ts'
import type { Budget } from './schemas.ts'

let database: ScratchDatabase
let pool: pg.Pool
let before: string

const orgId = newId('org')
const users = [newId('user'), newId('user'), newId('user')]
const keys = [newId('key'), newId('key')]
const day = 86_400_000

beforeAll(async () => {
  database = await createScratchDatabase('spend', { max: 8 })
  pool = database.pool
  // The database as it was before spend totals: every admin migration up to the ledger's outbox.
  before = await mkdtemp(join(tmpdir(), 'admin-before-spend-'))
  await cp(adminService.migrationsDir as string, before, {
    recursive: true,
    filter: (source) => !/\/0(09|[1-9]\d)-[^/]*\.sql$/.test(source),
  })
  await migrate(pool, [{ name: 'admin', migrationsDir: before }])
  await orgsRepository.insert(pool, { id: orgId, name: 'Spend', operator: false })
  const budgets: [Budget['scope'], string, Budget['period']][] = [
    ['org', orgId, 'day'],
    ['user', users[0] as string, 'month'],
    ['user', users[1] as string, 'day'],
    ['key', keys[0] as string, 'month'],
    ['key', keys[1] as string, 'day'],
  ]
  for (const [scope, subjectId, period] of budgets) {
    await budgetsRepository.insert(pool, orgId, {
      id: newId('budget'),
      scope,
      subjectId,
      amountUsd: 100,
      period,
    })
  }
}, 120_000)
afterAll(async () => {
  await database?.drop()
  if (before) await rm(before, { recursive: true, force: true })
})

let n = 0
function event(startedAt: Date): EventEnvelope<LlmUsageV1> {
  n += 1
  return {
    id: randomUUID(),
    type: 'llm.usage.v1',
    time: startedAt.toISOString(),
    key: orgId,
    data: {
      requestId: `req_${n}`,
      orgId,
      userId: users[n % users.length] as string,
      keyId: n % 3 === 0 ? null : (keys[n % keys.length] as string),
      alias: 'llama',
      deployment: 'vllm-a',
      provider: 'openai',
      inputTokens: 10,
      outputTokens: 2,
      // Amounts with twelve decimals: an exact sum is a numeric one.
      costUsd: Number(`0.${String(n * 7919).padStart(12, '0')}`),
      latencyMs: 1,
      ttftMs: null,
      status: 'ok',
      errorCode: null,
      attempts: 1,
      stream: false,
      startedAt: startedAt.toISOString(),
    },
  }
}

/** What the ledger says each budget's subject spent in its current UTC period. */
async function ledgerSums(): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ id: string; spent: string }>(
    `SELECT b.id, coalesce(sum(l.cost_usd), 0)::text AS spent
       FROM budgets b LEFT JOIN usage_ledger l
         ON l.org_id = b.org_id
        AND l.started_at >= date_trunc(b.period, now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
        AND (b.scope = 'org' OR (b.scope = 'user' AND l.user_id = b.subject_id)
             OR (b.scope = 'key' AND l.key_id = b.subject_id))
      WHERE b.org_id = $1 GROUP BY b.id`,
    [orgId],
  )
  return new Map(rows.map((r) => [r.id, Number(r.spent)]))
}

const listed = async () => new Map((await budgetsRepository.list(pool, orgId)).map((b) => [b.id, b.spentUsd]))

test('the migration backfills the totals from the ledger as it stood', async () => {
  // Ledger rows written before the totals existed: this month, and two months ago.
  const old = [event(new Date()), event(new Date()), event(new Date(Date.now() - 62 * day))]
  for (const e of old) {
    await pool.query(
      `INSERT INTO usage_ledger (event_id, org_id, request_id, user_id, key_id, model, deployment, provider,
         input_tokens, output_tokens, cost_usd, latency_ms, ttft_ms, status, error_code, attempts, stream, started_at)
       VALUES ($1, $2, $3, $4, $5, 'llama', 'vllm-a', 'openai', 10, 2, $6, 1, null, 'ok', null, 1, false, $7)`,
      [e.id, orgId, e.data.requestId, e.data.userId, e.data.keyId, String(e.data.costUsd), e.data.startedAt],
    )
  }
  const [report] = await migrate(pool, [adminService])
  expect(report?.applied).toContain('009-spend-totals.sql')

  const { rows } = await pool.query<{ same: boolean }>(
    `SELECT (SELECT sum(spent_usd) FROM spend_totals WHERE scope = 'org' AND period = 'month') =
            (SELECT sum(cost_usd) FROM usage_ledger) AS same`,
  )
  expect(rows[0]?.same).toBe(true)
  expect(await listed()).toEqual(await ledgerSums())
})

test('after racing and repeated deliveries, every listed spend equals the ledger sum', async () => {
  const handle = createUsageHandler(pool, pino({ level: 'silent' }))
  const events = Array.from({ length: 120 }, (_, i) =>
    event(new Date(Date.now() - (i % 4 === 0 ? 40 * day : 0))),
  )
  // Each event delivered twice, all at once: the second delivery must add nothing.
  await Promise.all([...events, ...events].map((e) => handle(e)))

  const { rows } = await pool.query<{ count: string }>(
    'SELECT count(*)::text AS count FROM usage_ledger WHERE event_id = ANY($1::text[])',
    [events.map((e) => e.id)],
  )
  expect(Number(rows[0]?.count)).toBe(events.length)
  const sums = await ledgerSums()
  expect([...sums.values()].every((spent) => spent > 0)).toBe(true)
  expect(await listed()).toEqual(sums)
})

test('listing budgets reads no ledger row: spend is a maintained total', async () => {
  const scans = await transaction(pool, async (tx) => {
    // The connection's counts not yet flushed show too: what matters is what listing adds.
    const ledgerScans = async () => {
      const { rows } = await tx.query<{ scans: string }>(
        `SELECT (coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::text AS scans
           FROM pg_stat_xact_user_tables WHERE relname = 'usage_ledger'`,
      )
      return Number(rows[0]?.scans ?? 0)
    }
    const before = await ledgerScans()
    const budgets = await budgetsRepository.list(tx, orgId)
    expect(budgets).toHaveLength(5)
    return (await ledgerScans()) - before
  })
  expect(scans).toBe(0)
})
