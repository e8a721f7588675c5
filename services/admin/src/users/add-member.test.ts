// Adding a member by email never reaches a user of another org: the answer is the same whether or
// not the address is in use elsewhere, and nothing of that user is shown or joined.
import { afterAll, expect, test } from 'vitest'
import { startAdmin, uniqueEmail } from '../admin-under-test.ts'

const admin = await startAdmin()
afterAll(() => admin.close())
const a = await admin.createOrg('Org A')
const b = await admin.createOrg('Org B')

const session = (orgId: string, userId: string) => ({ orgId, userId, keyId: null, scopes: [] })

/** The answer's shape and every field that does not name the address itself. */
function comparable(body: Record<string, unknown>) {
  const { userId, email, joinedAt, ...rest } = body
  return { ...rest, keys: Object.keys(body).sort(), userIdShape: String(userId).replace(/_.*/, '_') }
}

test("an address in use in another org answers as a new one, and reveals nothing of B's user", async () => {
  const taken = uniqueEmail('taken')
  const inB = await admin.request(b.owner, 'POST', '/admin/v1/users', {
    email: taken,
    name: 'Secret Name',
    role: 'admin',
  })
  expect(inB.statusCode).toBe(201)
  const bUserId: string = inB.json().userId

  const existing = await admin.request(a.owner, 'POST', '/admin/v1/users', {
    email: taken.toUpperCase(),
    role: 'viewer',
  })
  const fresh = await admin.request(a.owner, 'POST', '/admin/v1/users', {
    email: uniqueEmail('fresh'),
    role: 'viewer',
  })
  expect(existing.statusCode).toBe(fresh.statusCode)
  expect(existing.statusCode).toBe(201)
  expect(comparable(existing.json())).toEqual(comparable(fresh.json()))
  expect(existing.json()).toMatchObject({ email: taken.toUpperCase(), name: null, role: 'viewer' })
  expect(existing.json().userId).not.toBe(bUserId)
  expect(existing.body).not.toContain('Secret Name')
  expect(existing.body).not.toContain(bUserId)

  // A's list shows A's account only; B's user joined nothing and is unchanged in B.
  const listed = await admin.request(a.owner, 'GET', '/admin/v1/users')
  expect(listed.body).not.toContain('Secret Name')
  expect(listed.body).not.toContain(bUserId)
  const bInA = await admin.request(session(a.orgId, bUserId), 'GET', '/admin/v1/users')
  expect(bInA.statusCode).toBe(403)
  expect(bInA.json().error.code).toBe('ADMIN_ERR_NOT_A_MEMBER')
  const stillInB = await admin.request(b.owner, 'GET', `/admin/v1/users/${bUserId}`)
  expect(stillInB.json()).toMatchObject({ name: 'Secret Name', role: 'admin' })
  // Nor does A's new account reach B.
  const aInB = await admin.request(session(b.orgId, existing.json().userId), 'GET', '/admin/v1/users')
  expect(aInB.statusCode).toBe(403)
})

test('an address already a member of this org is a conflict, whatever its case', async () => {
  const email = uniqueEmail('twice')
  expect(
    (await admin.request(a.owner, 'POST', '/admin/v1/users', { email, role: 'member' })).statusCode,
  ).toBe(201)
  const again = await admin.request(a.owner, 'POST', '/admin/v1/users', {
    email: email.toUpperCase(),
    role: 'viewer',
  })
  expect(again.statusCode).toBe(409)
  expect(again.json().error.code).toBe('ADMIN_ERR_CONFLICT')
  // Two adds at once still make one member.
  const racing = uniqueEmail('racing')
  const both = await Promise.all(
    [0, 1].map(() => admin.request(a.owner, 'POST', '/admin/v1/users', { email: racing, role: 'viewer' })),
  )
  expect(both.map((r) => r.statusCode).sort()).toEqual([201, 409])
})

test("a new org's owner by an address in use elsewhere is a new account, shown only what was given", async () => {
  const taken = uniqueEmail('owner-taken')
  const inB = await admin.request(b.owner, 'POST', '/admin/v1/users', {
    email: taken,
    name: 'Secret Name',
    role: 'member',
  })
  const res = await admin.request(admin.operator.owner, 'POST', '/admin/v1/orgs', {
    name: 'Org C',
    ownerEmail: taken,
  })
  expect(res.statusCode, res.body).toBe(201)
  expect(res.json().owner).toMatchObject({ email: taken, name: null, role: 'owner' })
  expect(res.json().owner.userId).not.toBe(inB.json().userId)
  expect(res.body).not.toContain('Secret Name')
})
