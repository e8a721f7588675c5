import type { LlmUsageV1 } from '@switchyard/contracts'
import type { EventEnvelope } from '@switchyard/events'
import { pino } from 'pino'
import { afterAll, beforeAll, expect, test, vi } from 'vitest'
import { startAdmin, usage } from '../admin-under-test.ts'
import { createUsageHandler } from './consumer.ts'

const admin = await startAdmin()
afterAll(() => admin.close())
const acme = await admin.createOrg('Acme')
const [alice, bob] = await admin.addMembers(acme, ['member', 'viewer'])
const published: EventEnvelope<LlmUsageV1>[] = []

const dayMs = 86_400_000
const loadedAt = Date.now()
const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate())
const models = ['llama-3.1-8b', 'qwen-2.5-7b']

beforeAll(async () => {
  // 24 events over 3 days, 2 models, 2 users (alice through a key), with uneven costs.
  for (let i = 0; i < 24; i++) {
    const user = i % 3 === 0 ? bob : alice
    published.push(
      await admin.publishUsage(
        usage({
          orgId: acme.orgId,
          userId: user.userId,
          keyId: user === alice ? 'key_alice' : null,
          alias: models[i % 2] as string,
          inputTokens: 100 + i * 7,
          outputTokens: 10 + i * 3,
          costUsd: 0.000137 * (i + 1) + 0.0000003 * i * i,
          status: i % 5 === 4 ? 'error' : 'ok',
          errorCode: i % 5 === 4 ? 'LLM_ROUTER_ERR_UPSTREAM' : null,
          // In the past whatever the time of day, so the default range (up to now) holds them all.
          startedAt: new Date(loadedAt - (i % 3) * dayMs - i * 1000).toISOString(),
        }),
      ),
    )
  }
  const rowCount = async () =>
    (
      await admin.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM usage_ledger WHERE org_id = $1', [
        acme.orgId,
      ])
    ).rows[0]?.n
  await vi.waitFor(async () => expect(await rowCount()).toBe(published.length), {
    timeout: 10_000,
    interval: 50,
  })
}, 60_000)

const sum = (events: LlmUsageV1[], pick: (e: LlmUsageV1) => number) => events.reduce((s, e) => s + pick(e), 0)
const events = () => published.map((e) => e.data)

test('an event delivered twice is one ledger row, and the report does not count it twice', async () => {
  const handle = createUsageHandler(admin.sql, pino({ level: 'silent' }))
  // Redeliver every event: what the bus does after a crash before its commit, or a rebalance.
  for (const envelope of published) await handle(envelope)
  for (const envelope of published.slice(0, 5)) await handle(envelope)
  const { rows } = await admin.sql.query<{ event_id: string; n: number }>(
    'SELECT event_id, count(*)::int AS n FROM usage_ledger WHERE org_id = $1 GROUP BY event_id',
    [acme.orgId],
  )
  expect(rows.map((r) => r.event_id).sort()).toEqual(published.map((e) => e.id).sort())
  expect(rows.every((r) => r.n === 1)).toBe(true)

  const report = (await admin.request(acme.owner, 'GET', '/admin/v1/usage')).json()
  expect(report.totals).toEqual({
    requests: published.length,
    failed: events().filter((e) => e.status !== 'ok').length,
    inputTokens: sum(events(), (e) => e.inputTokens),
    outputTokens: sum(events(), (e) => e.outputTokens),
    costUsd: expect.closeTo(
      sum(events(), (e) => e.costUsd),
      12,
    ),
  })
})

test('grouped by day and model, each row is the sum of its events, and the rows add up to the totals', async () => {
  const res = await admin.request(acme.owner, 'GET', '/admin/v1/usage?groupBy=day,model')
  expect(res.statusCode).toBe(200)
  const report = res.json()
  const expected = new Map<string, LlmUsageV1[]>()
  for (const e of events()) {
    const key = `${e.startedAt.slice(0, 10)}|${e.alias}`
    expected.set(key, [...(expected.get(key) ?? []), e])
  }
  expect(report.rows).toHaveLength(expected.size)
  for (const row of report.rows) {
    const group = expected.get(`${row.day}|${row.model}`) ?? []
    expect(row).toEqual({
      day: row.day,
      model: row.model,
      requests: group.length,
      failed: group.filter((e) => e.status !== 'ok').length,
      inputTokens: sum(group, (e) => e.inputTokens),
      outputTokens: sum(group, (e) => e.outputTokens),
      costUsd: expect.closeTo(
        sum(group, (e) => e.costUsd),
        12,
      ),
    })
  }
  expect(sum(report.rows, (r) => (r as unknown as { requests: number }).requests)).toBe(
    report.totals.requests,
  )
  // Ordered by day, then model.
  const order = report.rows.map((r: { day: string; model: string }) => `${r.day}|${r.model}`)
  expect(order).toEqual([...order].sort())
})

test('by user and key, and filtered to one model', async () => {
  const byUser = (await admin.request(acme.owner, 'GET', '/admin/v1/usage?groupBy=user,key')).json()
  for (const user of [alice, bob]) {
    const mine = events().filter((e) => e.userId === user.userId)
    const row = byUser.rows.find((r: { userId: string }) => r.userId === user.userId)
    expect(row).toMatchObject({
      keyId: user === alice ? 'key_alice' : null,
      requests: mine.length,
      costUsd: expect.closeTo(
        sum(mine, (e) => e.costUsd),
        12,
      ),
    })
  }
  const model = models[1] as string
  const one = (await admin.request(acme.owner, 'GET', `/admin/v1/usage?model=${model}`)).json()
  const ofModel = events().filter((e) => e.alias === model)
  expect(one.totals.requests).toBe(ofModel.length)
  expect(one.totals.outputTokens).toBe(sum(ofModel, (e) => e.outputTokens))
})

test('a range selects by start time: today alone holds the events started today', async () => {
  const from = new Date(today).toISOString().slice(0, 10)
  const res = await admin.request(acme.owner, 'GET', `/admin/v1/usage?from=${from}`)
  const started = events().filter((e) => Date.parse(e.startedAt) >= today)
  expect(res.json().totals.requests).toBe(started.length)
  expect(res.json().from).toBe(new Date(today).toISOString())
})

test('CSV by ?format=csv or Accept: text/csv, with the same numbers as JSON', async () => {
  const json = (await admin.request(acme.owner, 'GET', '/admin/v1/usage?groupBy=day,model')).json()
  const byQuery = await admin.request(acme.owner, 'GET', '/admin/v1/usage?groupBy=day,model&format=csv')
  const byAccept = await admin.request(acme.owner, 'GET', '/admin/v1/usage?groupBy=day,model', undefined, {
    accept: 'text/csv',
  })
  for (const res of [byQuery, byAccept]) {
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="usage-.+\.csv"$/)
    const lines = res.body.trimEnd().split('\r\n')
    expect(lines[0]).toBe('day,model,requests,failed,inputTokens,outputTokens,costUsd')
    expect(lines.slice(1)).toEqual(
      json.rows.map((r: Record<string, unknown>) =>
        [r.day, r.model, r.requests, r.failed, r.inputTokens, r.outputTokens, r.costUsd].join(','),
      ),
    )
  }
})

test("budgets show this period's spend from the ledger", async () => {
  const created = await admin.request(acme.owner, 'POST', '/admin/v1/budgets', {
    scope: 'user',
    subjectId: alice.userId,
    amountUsd: 5,
    period: 'day',
  })
  expect(created.statusCode, created.body).toBe(201)
  const spentToday = sum(
    events().filter((e) => e.userId === alice.userId && Date.parse(e.startedAt) >= today),
    (e) => e.costUsd,
  )
  expect(created.json().spentUsd).toBeCloseTo(spentToday, 12)
  const event = await admin.configEvent((e) => e.kind === 'budget' && e.orgId === acme.orgId)
  // The one budget, not the org's whole map.
  expect(event.payload).toEqual({
    scope: 'user',
    subjectId: alice.userId,
    budget: { amountUsd: 5, period: 'day' },
  })
})

test('bad report input is a 400 in the error shape', async () => {
  for (const query of [
    'groupBy=week',
    'from=yesterday',
    'format=xml',
    'from=2025-02-01&to=2025-01-01',
    'from=2020-01-01&to=2025-01-01',
  ]) {
    const res = await admin.request(acme.owner, 'GET', `/admin/v1/usage?${query}`)
    expect(res.statusCode, query).toBe(400)
    expect(res.json().error.type).toBe('invalid_request_error')
  }
})
