// The repositories, the ledger's idempotency and bootstrap on a real PostgreSQL, migrated by the
// runtime's own `migrate` (what `switchyard migrate --target=admin` runs), in a database of its own.
import { randomUUID } from 'node:crypto'
import { type LlmUsageV1, llmUsageV1 } from '@switchyard/contracts'
import type { EventEnvelope } from '@switchyard/events'
import { migrate } from '@switchyard/runtime'
import { createScratchDatabase } from '@switchyard/testing'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { bootstrapAdmin, bootstrapOnStart } from './bootstrap/bootstrap.ts'
import { budgetsRepository } from './budgets/repository.ts'
import { enqueueConfigEvent } from './config-events/outbox.ts'
import { newId } from './db/ids.ts'
import { transaction } from './db/sql.ts'
import { keysRepository } from './keys/repository.ts'
import { hashApiKey } from './keys/secrets.ts'
import { orgsRepository } from './orgs/repository.ts'
import { promptsRepository } from './prompts/repository.ts'
import { adminService } from './service.ts'
import { createUsageHandler } from './usage/consumer.ts'
import { ledgerRepository } from './usage/repository.ts'
import { usersRepository } from './users/repository.ts'

const database = await createScratchDatabase('admin', { max: 8 })
afterAll(() => database.drop())
const { pool } = database
const silent = pino({ level: 'silent' })

test('the migrations apply, and a second run finds them all applied', async () => {
  const [first] = await migrate(pool, [adminService])
  expect(first?.applied.length).toBeGreaterThan(0)
  expect(first?.applied).toEqual([...(first?.applied ?? [])].sort())
  const [second] = await migrate(pool, [adminService])
  expect(second).toEqual({ service: 'admin', applied: [], alreadyApplied: first?.applied })
})

describe('bootstrap on an empty platform', () => {
  test('two at once make one org; the other is refused, and the logged key resolves', async () => {
    const lines: { msg: string; level: number }[] = []
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
    const results = await Promise.allSettled([
      bootstrapOnStart(pool, { orgName: 'Operator', ownerEmail: 'ops@example.com' }, logger),
      bootstrapAdmin(pool, { orgName: 'Operator', ownerEmail: 'ops@example.com' }),
    ])
    expect(await orgsRepository.count(pool)).toBe(1)
    const won = results.filter((r) => r.status === 'fulfilled' && r.value !== null)
    expect(won).toHaveLength(1)
    const lost = results.find((r) => r.status === 'rejected' || r.value === null)
    if (lost?.status === 'rejected')
      expect(lost.reason).toMatchObject({ code: 'ADMIN_ERR_BOOTSTRAP_REFUSED' })

    const { rows } = await pool.query<{ id: string }>('SELECT id FROM api_keys')
    expect(rows).toHaveLength(1)
    if (lines.length > 0) {
      // The start-time bootstrap won: its one warn line names the key, never its secret.
      expect(lines).toHaveLength(1)
      expect(lines[0]?.level).toBe(40)
      expect(lines[0]?.msg).toContain('The owner key is not logged')
      expect(lines[0]?.msg).not.toMatch(/sy_[0-9A-Za-z]{8}_/)
      expect(JSON.stringify(lines[0])).toContain(rows[0]?.id as string)
    } else {
      const key = (won[0] as PromiseFulfilledResult<{ key: string; keyId: string }>).value
      expect((await keysRepository.resolve(pool, hashApiKey(key.key)))?.keyId).toBe(key.keyId)
    }
  })
})

describe('repositories filter on the org', () => {
  const orgs = { a: newId('org'), b: newId('org') }
  const users = { a: newId('user'), b: newId('user') }
  const keys = { a: newId('key'), b: newId('key') }

  beforeAll(async () => {
    for (const side of ['a', 'b'] as const) {
      await orgsRepository.insert(pool, { id: orgs[side], name: `Org ${side}`, operator: false })
      await usersRepository.insertUser(pool, {
        id: users[side],
        email: `${side}-${orgs[side]}@example.com`,
        name: null,
      })
      await usersRepository.addMembership(pool, orgs[side], users[side], 'owner')
      await keysRepository.insert(pool, orgs[side], {
        id: keys[side],
        userId: users[side],
        name: side,
        prefix: `sy_${side}${orgs[side].slice(-7)}`,
        hash: hashApiKey(`${side}-${orgs[side]}`),
        scopes: [],
        expiresAt: null,
        rotatedFrom: null,
        createdBy: users[side],
      })
      await budgetsRepository.insert(pool, orgs[side], {
        id: newId('budget'),
        scope: 'org',
        subjectId: orgs[side],
        amountUsd: 10,
        period: 'month',
      })
      const promptId = newId('prompt')
      await promptsRepository.insert(pool, orgs[side], {
        id: promptId,
        name: 'shared-name',
        description: null,
        createdBy: null,
      })
      await promptsRepository.insertVersion(pool, orgs[side], promptId, {
        version: 1,
        template: `template of ${side}`,
        variables: [],
        modelConfig: {},
        createdBy: null,
      })
      await promptsRepository.setLabel(pool, orgs[side], promptId, 'production', 1, null)
    }
  })

  test('keys, members, budgets and prompts of B are invisible through A', async () => {
    expect(await keysRepository.get(pool, orgs.a, keys.b)).toBeNull()
    expect((await keysRepository.list(pool, orgs.a, { includeRevoked: true })).map((k) => k.id)).toEqual([
      keys.a,
    ])
    expect(await keysRepository.revoke(pool, orgs.a, keys.b)).toBeNull()
    expect((await keysRepository.get(pool, orgs.b, keys.b))?.status).toBe('active')
    expect(await usersRepository.get(pool, orgs.a, users.b)).toBeNull()
    expect(await usersRepository.remove(pool, orgs.a, users.b)).toBe(false)
    expect((await usersRepository.list(pool, orgs.a)).map((m) => m.userId)).toEqual([users.a])
    const bBudget = (await budgetsRepository.list(pool, orgs.b))[0]
    expect(bBudget).toBeDefined()
    expect(await budgetsRepository.get(pool, orgs.a, bBudget?.id as string)).toBeNull()
    expect(await budgetsRepository.update(pool, orgs.a, bBudget?.id as string, { amountUsd: 0 })).toBe(false)
    expect(await budgetsRepository.remove(pool, orgs.a, bBudget?.id as string)).toBe(false)
    expect(
      (await promptsRepository.resolve(pool, orgs.a, 'shared-name', { label: 'production' }))?.template,
    ).toBe('template of a')
    expect(
      (await promptsRepository.resolve(pool, orgs.b, 'shared-name', { label: 'production' }))?.template,
    ).toBe('template of b')
  })

  test('a version or label cannot point into another org, and versions refuse UPDATE', async () => {
    const bPrompt = (await promptsRepository.getByName(pool, orgs.b, 'shared-name'))?.id as string
    await expect(
      promptsRepository.insertVersion(pool, orgs.a, bPrompt, {
        version: 2,
        template: 'x',
        variables: [],
        modelConfig: {},
        createdBy: null,
      }),
    ).rejects.toMatchObject({ code: '23503' })
    await expect(promptsRepository.setLabel(pool, orgs.a, bPrompt, 'staging', 1, null)).rejects.toMatchObject(
      { code: '23503' },
    )
    await expect(pool.query("UPDATE prompt_versions SET template = 'edited'")).rejects.toThrow(/immutable/)
    await expect(pool.query("UPDATE audit_log SET action = 'edited'")).rejects.toThrow(/append-only/)
  })
})

describe('the usage ledger', () => {
  const orgId = newId('org')
  const envelope = (i: number): EventEnvelope<LlmUsageV1> => ({
    id: randomUUID(),
    type: llmUsageV1.name,
    time: new Date().toISOString(),
    key: orgId,
    data: {
      requestId: `req_${i}`,
      orgId,
      userId: `user_${i % 2}`,
      keyId: null,
      alias: i % 2 ? 'llama-3.1-8b' : 'qwen-2.5-7b',
      deployment: 'd',
      provider: 'openai',
      inputTokens: 1000 + i,
      outputTokens: 50 * i,
      costUsd: 0.0000123 * i + 0.000001,
      latencyMs: 10,
      ttftMs: null,
      status: 'ok',
      errorCode: null,
      attempts: 1,
      stream: true,
      startedAt: new Date(Date.now() - i * 60_000).toISOString(),
    },
  })

  test('every event delivered twice, even at once, is one row; totals equal the sums of the events', async () => {
    const events = Array.from({ length: 40 }, (_, i) => envelope(i))
    const handle = createUsageHandler(pool, silent)
    // Both deliveries race on separate connections: the primary key, not a read-then-write, decides.
    await Promise.all([...events, ...events].map((event) => handle(event)))
    await Promise.all(events.slice(0, 10).map((event) => handle(event)))
    const { rows } = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM usage_ledger WHERE org_id = $1',
      [orgId],
    )
    expect(rows[0]?.n).toBe(events.length)

    const [totals] = await ledgerRepository.report(pool, orgId, {
      from: new Date(Date.now() - 86_400_000),
      to: new Date(Date.now() + 1000),
      groupBy: [],
    })
    const data = events.map((e) => e.data)
    expect(totals).toEqual({
      requests: events.length,
      failed: 0,
      inputTokens: data.reduce((s, e) => s + e.inputTokens, 0),
      outputTokens: data.reduce((s, e) => s + e.outputTokens, 0),
      costUsd: expect.closeTo(
        data.reduce((s, e) => s + e.costUsd, 0),
        12,
      ),
    })
    const byModel = await ledgerRepository.report(pool, orgId, {
      from: new Date(Date.now() - 86_400_000),
      to: new Date(Date.now() + 1000),
      groupBy: ['model'],
    })
    for (const row of byModel) {
      expect(row.requests).toBe(data.filter((e) => e.alias === row.model).length)
    }
  })
})

test('config event versions follow commit order per (kind, org), with no gaps', async () => {
  const orgId = newId('org')
  const versions = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      transaction(pool, (tx) => enqueueConfigEvent(tx, 'budget', orgId, { n: i })),
    ),
  )
  expect([...versions].sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
  const { rows } = await pool.query<{ version: string }>(
    'SELECT version::text FROM config_outbox WHERE org_id = $1 ORDER BY id',
    [orgId],
  )
  // Insertion (commit) order and version order agree.
  expect(rows.map((r) => Number(r.version))).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
})
