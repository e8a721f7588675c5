// Keys cannot lift anyone above their role: nobody mints, rotates, sees or revokes a key of a user
// whose role is above their own, and a key made through an API key carries no scope that key lacks.
import type { Identity } from '@switchyard/contracts'
import { afterAll, describe, expect, test } from 'vitest'
import { createKeyAs, resolveKey, startAdmin } from '../admin-under-test.ts'

const admin = await startAdmin()
afterAll(() => admin.close())
const acme = await admin.createOrg('Acme')
const [orgAdmin, otherAdmin, member] = await admin.addMembers(acme, ['admin', 'admin', 'member'])

const resolve = (key: string) => resolveKey(admin, key)

const createKey = (who: Identity, body?: Record<string, unknown>) => createKeyAs(admin, who, body)

/** The same caller, coming through an API key that carries `scopes`. */
const viaKey = (who: Identity, scopes: string[]): Identity => ({ ...who, keyId: 'key_presented', scopes })

describe("keys of a user above the caller's role", () => {
  test('an admin cannot mint a key for an owner', async () => {
    const res = await admin.request(orgAdmin, 'POST', '/admin/v1/keys', {
      name: 'owner now',
      userId: acme.ownerId,
      scopes: ['admin:write'],
    })
    expect(res.statusCode, res.body).toBe(403)
    expect(res.json().error).toMatchObject({ type: 'permission_error', code: 'ADMIN_ERR_FORBIDDEN' })
    expect(res.body).not.toContain('secret')
    const { rows } = await admin.sql.query('SELECT 1 FROM api_keys WHERE user_id = $1 AND name = $2', [
      acme.ownerId,
      'owner now',
    ])
    expect(rows).toHaveLength(0)
  })

  test("an admin can neither see, rotate nor revoke an owner's key", async () => {
    const ownersKey = await createKey(acme.owner, { scopes: ['admin:read', 'admin:write'] })
    for (const [method, url] of [
      ['GET', `/admin/v1/keys/${ownersKey.key.id}`],
      ['POST', `/admin/v1/keys/${ownersKey.key.id}/rotate`],
      ['POST', `/admin/v1/keys/${ownersKey.key.id}/revoke`],
    ] as const) {
      const res = await admin.request(orgAdmin, method, url)
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404)
      expect(res.json().error.code).toBe('ADMIN_ERR_NOT_FOUND')
    }
    for (const url of ['/admin/v1/keys', `/admin/v1/keys?userId=${acme.ownerId}`]) {
      const listed = await admin.request(orgAdmin, 'GET', url)
      expect(listed.statusCode).toBe(200)
      const owners = listed.json().data.map((k: { userId: string }) => k.userId)
      expect(owners, url).not.toContain(acme.ownerId)
    }
    // Untouched: still the one active key for it, and it still resolves.
    const resolved = await resolve(ownersKey.secret)
    expect(resolved.statusCode).toBe(200)
    expect(resolved.json().keyId).toBe(ownersKey.key.id)
    const { rows } = await admin.sql.query('SELECT 1 FROM api_keys WHERE rotated_from = $1', [
      ownersKey.key.id,
    ])
    expect(rows).toHaveLength(0)
  })

  test('an owner still manages every key; an admin those of admins and members', async () => {
    const adminsKey = await createKey(orgAdmin)
    const ownerSees = await admin.request(acme.owner, 'GET', `/admin/v1/keys/${adminsKey.key.id}`)
    expect(ownerSees.statusCode).toBe(200)
    const forMember = await createKey(orgAdmin, { userId: member.userId })
    expect(forMember.key.userId).toBe(member.userId)
    const forAdmin = await createKey(orgAdmin, { userId: otherAdmin.userId })
    expect(forAdmin.key.userId).toBe(otherAdmin.userId)
    const rotated = await admin.request(orgAdmin, 'POST', `/admin/v1/keys/${forMember.key.id}/rotate`)
    expect(rotated.statusCode, rotated.body).toBe(201)
    const revoked = await admin.request(orgAdmin, 'POST', `/admin/v1/keys/${forAdmin.key.id}/revoke`)
    expect(revoked.statusCode, revoked.body).toBe(200)
  })

  test('an owner demoted to admin: their keys become visible to admins; promoted back, hidden again', async () => {
    const second = await admin.addMember(acme, 'owner')
    const { key } = await createKey(second)
    const get = () => admin.request(orgAdmin, 'GET', `/admin/v1/keys/${key.id}`)
    expect((await get()).statusCode).toBe(404)
    const demote = await admin.request(acme.owner, 'PATCH', `/admin/v1/users/${second.userId}`, {
      role: 'admin',
    })
    expect(demote.statusCode, demote.body).toBe(200)
    expect((await get()).statusCode).toBe(200)
    await admin.request(acme.owner, 'PATCH', `/admin/v1/users/${second.userId}`, { role: 'owner' })
    expect((await get()).statusCode).toBe(404)
  })
})

describe("a key's scopes never exceed its creator's", () => {
  test('through an API key, a new key may only carry scopes that key has', async () => {
    const res = await admin.request(viaKey(member, ['admin:write']), 'POST', '/admin/v1/keys', {
      name: 'wider',
      scopes: ['admin:write', 'chat:write'],
    })
    expect(res.statusCode, res.body).toBe(403)
    expect(res.json().error).toMatchObject({ code: 'ADMIN_ERR_FORBIDDEN', param: 'scopes' })
    expect(res.json().error.message).toContain('chat:write')

    const same = await admin.request(
      viaKey(member, ['admin:write', 'chat:write']),
      'POST',
      '/admin/v1/keys',
      {
        name: 'narrower',
        scopes: ['chat:write'],
      },
    )
    expect(same.statusCode, same.body).toBe(201)
    expect(same.json().key.scopes).toEqual(['chat:write'])
  })

  test('an admin key without admin:read cannot mint one with it, for anyone', async () => {
    const res = await admin.request(viaKey(orgAdmin, ['admin:write']), 'POST', '/admin/v1/keys', {
      name: 'for a member',
      userId: member.userId,
      scopes: ['admin:read', 'admin:write'],
    })
    expect(res.statusCode, res.body).toBe(403)
    expect(res.json().error).toMatchObject({ code: 'ADMIN_ERR_FORBIDDEN', param: 'scopes' })
  })

  test('rotating through an API key cannot yield a key with scopes that key lacks', async () => {
    const wide = await createKey(member, { scopes: ['admin:write', 'chat:write', 'rag:read'] })
    const res = await admin.request(
      viaKey(member, ['admin:write']),
      'POST',
      `/admin/v1/keys/${wide.key.id}/rotate`,
    )
    expect(res.statusCode, res.body).toBe(403)
    expect(res.json().error.code).toBe('ADMIN_ERR_FORBIDDEN')
    expect((await resolve(wide.secret)).json().expiresAt).toBeNull()

    const ok = await admin.request(
      viaKey(member, ['admin:write', 'chat:write', 'rag:read']),
      'POST',
      `/admin/v1/keys/${wide.key.id}/rotate`,
    )
    expect(ok.statusCode, ok.body).toBe(201)
  })
})
