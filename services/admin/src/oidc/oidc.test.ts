import { type Identity, type ResolveMemberBody, resolveMembersScope, roleScopes } from '@switchyard/contracts'
import { session } from '@switchyard/testing'
import { afterAll, describe, expect, test } from 'vitest'
import { type OrgFixture, startAdmin, uniqueEmail } from '../admin-under-test.ts'

const admin = await startAdmin()
afterAll(() => admin.close())
const acme = await admin.createOrg('Acme')
/** The gateway as it resolves OIDC sign-ins. */
const gateway: Identity = session('platform', 'gateway', [resolveMembersScope])

let subjects = 0
const signIn = (org: OrgFixture, overrides: Partial<ResolveMemberBody> = {}): ResolveMemberBody => ({
  orgId: org.orgId,
  subject: `idp|${++subjects}`,
  email: uniqueEmail('oidc'),
  name: 'Ada',
  roles: [],
  ...overrides,
})
const resolve = (who: ResolveMemberBody, as: Identity = gateway) =>
  admin.request(as, 'POST', '/admin/v1/internal/members/resolve', who)
const setOidc = (org: OrgFixture, body: unknown, as: Identity = org.owner) =>
  admin.request(as, 'PUT', `/admin/v1/orgs/${org.orgId}/oidc`, body)

describe('resolving an OIDC sign-in', () => {
  test('someone who is not a member is a 403, and with provisioning off (the default) nothing is made', async () => {
    const org = await admin.createOrg('Closed')
    const settings = await admin.request(org.owner, 'GET', `/admin/v1/orgs/${org.orgId}/oidc`)
    expect(settings.json()).toEqual({ provisioning: false, defaultRole: 'member', roleClaims: {} })
    const res = await resolve(signIn(org))
    expect(res.statusCode).toBe(403)
    expect(res.json().error.code).toBe('ADMIN_ERR_NOT_A_MEMBER')
    const members = await admin.request(org.owner, 'GET', '/admin/v1/users')
    expect(members.json().data).toHaveLength(1)
  })

  test('a member added by email is linked on first sign-in, then found by subject alone', async () => {
    const email = uniqueEmail('linked')
    const member = await admin.addMember(acme, 'member', email)
    const first = await resolve(signIn(acme, { subject: 'idp|linked', email }))
    expect(first.statusCode).toBe(200)
    expect(first.json()).toEqual({
      orgId: acme.orgId,
      userId: member.userId,
      role: 'member',
      scopes: [...roleScopes.member],
      provisioned: false,
    })
    const again = await resolve(signIn(acme, { subject: 'idp|linked', email: null }))
    expect(again.json().userId).toBe(member.userId)
    // Another subject with the same address does not take the linked membership over.
    expect((await resolve(signIn(acme, { subject: 'idp|other', email }))).statusCode).toBe(403)
  })

  test('with provisioning on, a first sign-in becomes a member with the mapped or the default role', async () => {
    const org = await admin.createOrg('Open')
    const set = await setOidc(org, {
      provisioning: true,
      defaultRole: 'viewer',
      roleClaims: { 'idp-admins': 'admin', staff: 'member' },
    })
    expect(set.statusCode, set.body).toBe(200)
    const mapped = await resolve(signIn(org, { roles: ['staff', 'idp-admins', 'unknown'] }))
    expect(mapped.statusCode).toBe(200)
    expect(mapped.json()).toMatchObject({ role: 'admin', provisioned: true, scopes: [...roleScopes.admin] })
    const plain = await resolve(signIn(org, { subject: 'idp|plain' }))
    expect(plain.json()).toMatchObject({ role: 'viewer', provisioned: true, scopes: [...roleScopes.viewer] })
    // Made once: the next sign-in finds the member.
    const next = await resolve(signIn(org, { subject: 'idp|plain' }))
    expect(next.json()).toMatchObject({ userId: plain.json().userId, provisioned: false })
    const members = await admin.request(org.owner, 'GET', '/admin/v1/users')
    expect(
      members
        .json()
        .data.map((m: { role: string }) => m.role)
        .sort(),
    ).toEqual(['admin', 'owner', 'viewer'])
    const audit = await admin.request(org.owner, 'GET', '/admin/v1/audit?action=user.oidc')
    expect(audit.json().data).toHaveLength(2)
    // Without an email claim nobody is provisioned (a user needs an address).
    expect((await resolve(signIn(org, { email: null }))).statusCode).toBe(403)
  })

  test('a removed member, or a member of a deleted org, is refused; both are announced', async () => {
    const org = await admin.createOrg('Leaving')
    await setOidc(org, { provisioning: true, defaultRole: 'member', roleClaims: {} })
    const who = signIn(org)
    const userId = (await resolve(who)).json().userId as string
    const promoted = await admin.request(org.owner, 'PATCH', `/admin/v1/users/${userId}`, { role: 'admin' })
    expect(promoted.statusCode).toBe(200)
    await admin.configEvent(
      (e) => e.kind === 'member-changed' && e.orgId === org.orgId && e.payload.userId === userId,
    )
    expect((await resolve(who)).json().role).toBe('admin')

    expect((await admin.request(org.owner, 'DELETE', `/admin/v1/users/${userId}`)).statusCode).toBe(204)
    await admin.configEvent((e) => e.kind === 'member-changed' && e.orgId === org.orgId && e.version >= 2)
    // Provisioning is on, yet a removed member does not come back by signing in again.
    const removed = await resolve(who)
    expect(removed.statusCode).toBe(403)
    expect(removed.json().error.code).toBe('ADMIN_ERR_NOT_A_MEMBER')
    // Until an admin adds them again: then their verified address links them.
    const readded = await admin.addMember(org, 'viewer', who.email as string)
    expect((await resolve(who)).json()).toMatchObject({ userId: readded.userId, role: 'viewer' })
    const other = signIn(org)
    const otherId = (await resolve(other)).json().userId as string
    expect((await admin.request(org.owner, 'DELETE', `/admin/v1/orgs/${org.orgId}`)).statusCode).toBe(204)
    const deleted = await admin.configEvent(
      (e) => e.kind === 'member-changed' && e.orgId === org.orgId && e.payload.userId === null,
    )
    expect(deleted.payload).toEqual({ userId: null })
    const refused = await resolve(other)
    expect(refused.statusCode).toBe(403)
    expect(refused.json().error.code).toBe('ADMIN_ERR_NOT_A_MEMBER')
    expect(otherId).not.toBe(userId)
  })

  test('only a token with internal:members:resolve may resolve', async () => {
    const res = await resolve(signIn(acme), acme.owner)
    expect(res.statusCode).toBe(403)
    expect(res.json().error.code).toBe('ADMIN_ERR_MISSING_SCOPE')
  })
})

describe('OIDC settings', () => {
  test('admins set them for their own org only; owner is never a provisioned role', async () => {
    const viewer = await admin.addMember(acme, 'viewer')
    const body = { provisioning: true, defaultRole: 'member', roleClaims: {} }
    expect((await setOidc(acme, body, viewer)).statusCode).toBe(403)
    const other = await admin.createOrg('Other')
    expect((await setOidc(other, body, acme.owner)).statusCode).toBe(404)
    const owner = await setOidc(acme, { ...body, defaultRole: 'owner' })
    expect(owner.statusCode).toBe(400)
    const claimOwner = await setOidc(acme, { ...body, roleClaims: { boss: 'owner' } })
    expect(claimOwner.statusCode).toBe(400)
  })
})
