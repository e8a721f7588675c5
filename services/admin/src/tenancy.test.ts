import { afterAll, describe, expect, test } from 'vitest'
import { gateway, startAdmin, usage } from './admin-under-test.ts'

const admin = await startAdmin()
afterAll(() => admin.close())
const a = await admin.createOrg('Org A')
const b = await admin.createOrg('Org B')
const bMember = await admin.addMember(b, 'member')

type Call = [method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown]

/** Every call answers 404 for A's owner. */
async function allNotFound(calls: Call[]): Promise<void> {
  for (const [method, url, body] of calls) {
    const res = await admin.request(a.owner, method, url, body)
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404)
    expect(res.json().error.code, `${method} ${url}`).toMatch(/_ERR_NOT_FOUND$/)
  }
}

describe('org A cannot reach org B', () => {
  test('org', async () => {
    await allNotFound([
      ['GET', `/admin/v1/orgs/${b.orgId}`],
      ['PATCH', `/admin/v1/orgs/${b.orgId}`, { name: 'Taken over' }],
      ['DELETE', `/admin/v1/orgs/${b.orgId}`],
    ])
    const own = await admin.request(b.owner, 'GET', `/admin/v1/orgs/${b.orgId}`)
    expect(own.json()).toMatchObject({ id: b.orgId, name: 'Org B' })
    // A token naming org B but carrying A's user is not a member there.
    const forged = await admin.request({ ...a.owner, orgId: b.orgId }, 'GET', `/admin/v1/orgs/${b.orgId}`)
    expect(forged.statusCode).toBe(403)
    expect(forged.json().error.code).toBe('ADMIN_ERR_NOT_A_MEMBER')
  })

  test('users', async () => {
    await allNotFound([
      ['GET', `/admin/v1/users/${bMember.userId}`],
      ['PATCH', `/admin/v1/users/${bMember.userId}`, { role: 'viewer' }],
      ['DELETE', `/admin/v1/users/${bMember.userId}`],
    ])
    const listed = await admin.request(a.owner, 'GET', '/admin/v1/users')
    expect(listed.json().data.map((m: { userId: string }) => m.userId)).toEqual([a.ownerId])
    const still = await admin.request(b.owner, 'GET', `/admin/v1/users/${bMember.userId}`)
    expect(still.json().role).toBe('member')
  })

  test('keys', async () => {
    const created = await admin.request(bMember, 'POST', '/admin/v1/keys', { name: 'b-key' })
    const { key, secret } = created.json()
    await allNotFound([
      ['GET', `/admin/v1/keys/${key.id}`],
      ['POST', `/admin/v1/keys/${key.id}/rotate`, {}],
      ['POST', `/admin/v1/keys/${key.id}/revoke`],
    ])
    // Nor can A make a key for B's user.
    await allNotFound([['POST', '/admin/v1/keys', { name: 'x', userId: bMember.userId }]])
    const listed = await admin.request(
      a.owner,
      'GET',
      `/admin/v1/keys?userId=${bMember.userId}&includeRevoked=true`,
    )
    expect(listed.json().data).toEqual([])
    const resolved = await admin.request(gateway, 'POST', '/admin/v1/internal/keys/resolve', { key: secret })
    expect(resolved.json()).toMatchObject({ orgId: b.orgId, keyId: key.id })
  })

  test('budgets', async () => {
    const created = await admin.request(b.owner, 'POST', '/admin/v1/budgets', {
      scope: 'org',
      amountUsd: 100,
      period: 'month',
    })
    expect(created.statusCode, created.body).toBe(201)
    const budget = created.json()
    await allNotFound([
      ['GET', `/admin/v1/budgets/${budget.id}`],
      ['PATCH', `/admin/v1/budgets/${budget.id}`, { amountUsd: 0 }],
      ['DELETE', `/admin/v1/budgets/${budget.id}`],
    ])
    // A budget in A on B's org, user or key is refused too.
    const bKey = (await admin.request(bMember, 'POST', '/admin/v1/keys', { name: 'k' })).json().key
    await allNotFound([
      ['POST', '/admin/v1/budgets', { scope: 'org', subjectId: b.orgId, amountUsd: 1, period: 'day' }],
      [
        'POST',
        '/admin/v1/budgets',
        { scope: 'user', subjectId: bMember.userId, amountUsd: 1, period: 'day' },
      ],
      ['POST', '/admin/v1/budgets', { scope: 'key', subjectId: bKey.id, amountUsd: 1, period: 'day' }],
    ])
    expect((await admin.request(a.owner, 'GET', '/admin/v1/budgets')).json().data).toEqual([])
    const still = await admin.request(b.owner, 'GET', `/admin/v1/budgets/${budget.id}`)
    expect(still.json().amountUsd).toBe(100)
  })

  test('prompts', async () => {
    const created = await admin.request(bMember, 'POST', '/admin/v1/prompts/secret-sauce/versions', {
      template: 'B only',
      labels: ['production'],
    })
    expect(created.statusCode).toBe(201)
    await allNotFound([
      ['GET', '/admin/v1/prompts/secret-sauce'],
      ['GET', '/admin/v1/prompts/secret-sauce/versions'],
      ['GET', '/admin/v1/prompts/secret-sauce/versions/1'],
      ['PUT', '/admin/v1/prompts/secret-sauce/labels/production', { version: 1 }],
      ['DELETE', '/admin/v1/prompts/secret-sauce/labels/production'],
      ['GET', '/v1/prompts/secret-sauce?label=production'],
    ])
    expect((await admin.request(a.owner, 'GET', '/admin/v1/prompts')).json().data).toEqual([])
    // The same name in A is A's own prompt, and leaves B's alone.
    await admin.request(a.owner, 'POST', '/admin/v1/prompts/secret-sauce/versions', { template: 'A only' })
    const bResolved = await admin.request(bMember, 'GET', '/v1/prompts/secret-sauce')
    expect(bResolved.json()).toMatchObject({ template: 'B only', version: 1 })
  })

  test('usage', async () => {
    const costs = [0.25, 0.5]
    for (const costUsd of costs)
      await admin.publishUsage(usage({ orgId: b.orgId, userId: bMember.userId, costUsd }))
    const bTotal = async () =>
      (await admin.request(b.owner, 'GET', '/admin/v1/usage')).json().totals as {
        requests: number
        costUsd: number
      }
    await expect.poll(async () => (await bTotal()).requests, { timeout: 5_000 }).toBe(costs.length)
    expect((await bTotal()).costUsd).toBeCloseTo(
      costs.reduce((s, c) => s + c, 0),
      10,
    )
    const aReport = await admin.request(a.owner, 'GET', '/admin/v1/usage?groupBy=org,user')
    expect(aReport.json().rows).toEqual([])
    expect(aReport.json().totals.requests).toBe(0)
    const filtered = await admin.request(a.owner, 'GET', `/admin/v1/usage?userId=${bMember.userId}`)
    expect(filtered.json().totals.requests).toBe(0)
  })

  test('audit log', async () => {
    const bAudit = await admin.request(b.owner, 'GET', '/admin/v1/audit')
    expect(bAudit.json().data.length).toBeGreaterThan(0)
    const aAudit = await admin.request(a.owner, 'GET', '/admin/v1/audit?limit=500')
    expect(aAudit.json().data.every((e: { orgId: string }) => e.orgId === a.orgId)).toBe(true)
    const bTargets = new Set(bAudit.json().data.map((e: { targetId: string }) => e.targetId))
    expect(
      aAudit
        .json()
        .data.some((e: { targetId: string }) => bTargets.has(e.targetId) && e.targetId !== b.orgId),
    ).toBe(false)
  })
})
