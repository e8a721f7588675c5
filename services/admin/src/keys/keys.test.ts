import { type Identity, roleScopes, scopes } from '@switchyard/contracts'
import { afterAll, describe, expect, test } from 'vitest'
import { createKeyAs, resolveKey, startAdmin } from '../admin-under-test.ts'
import { hashApiKey } from './secrets.ts'

const admin = await startAdmin()
afterAll(() => admin.close())
const acme = await admin.createOrg('Acme')
const [member, viewer] = await admin.addMembers(acme, ['member', 'viewer'])

const resolve = (key: string) => resolveKey(admin, key)

const createKey = (who: Identity, body?: Record<string, unknown>) => createKeyAs(admin, who, body)

describe('create and resolve', () => {
  test('the secret is returned once, stored only as its SHA-256, and resolves to the identity', async () => {
    const created = await createKey(member, { scopes: ['chat:write', 'rag:read'] })
    expect(created.secret.startsWith(`${created.key.prefix}_`)).toBe(true)

    const stored = await admin.sql.query<{ secret_hash: string; prefix: string }>(
      'SELECT secret_hash, prefix FROM api_keys WHERE id = $1',
      [created.key.id],
    )
    expect(stored.rows).toEqual([{ secret_hash: hashApiKey(created.secret), prefix: created.key.prefix }])
    const anyColumnHoldsSecret = await admin.sql.query(
      'SELECT 1 FROM api_keys WHERE id = $1 AND position($2 in row_to_json(api_keys)::text) > 0',
      [created.key.id, created.secret],
    )
    expect(anyColumnHoldsSecret.rows).toHaveLength(0)

    const listed = await admin.request(member, 'GET', '/admin/v1/keys')
    expect(listed.statusCode).toBe(200)
    expect(listed.body).not.toContain(created.secret)
    const one = await admin.request(member, 'GET', `/admin/v1/keys/${created.key.id}`)
    expect(one.body).not.toContain(created.secret)
    expect(Object.keys(one.json())).not.toContain('secret')

    const res = await resolve(created.secret)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      orgId: acme.orgId,
      userId: member.userId,
      keyId: created.key.id,
      scopes: ['chat:write', 'rag:read'],
      expiresAt: null,
    })
  })

  test('resolve records last use, but not again within the interval', async () => {
    const { key, secret } = await createKey(member)
    const lastUsed = async () =>
      (
        await admin.sql.query<{ at: Date | null }>('SELECT last_used_at AS at FROM api_keys WHERE id = $1', [
          key.id,
        ])
      ).rows[0]?.at ?? null
    expect(await lastUsed()).toBeNull()
    expect((await resolve(secret)).statusCode).toBe(200)
    const first = await lastUsed()
    expect(first).toBeInstanceOf(Date)
    expect((await resolve(secret)).statusCode).toBe(200)
    expect(await lastUsed()).toEqual(first)
  })

  test('an unknown, malformed or altered key is a 401 in the error shape', async () => {
    const { secret } = await createKey(member)
    const altered = `${secret.slice(0, -1)}${secret.endsWith('a') ? 'b' : 'a'}`
    for (const key of [altered, 'sk-not-ours', `${secret} `]) {
      const res = await resolve(key)
      expect(res.statusCode, key).toBe(401)
      expect(res.json()).toEqual({
        error: {
          type: 'authentication_error',
          message: 'Invalid API key',
          code: 'ADMIN_ERR_INVALID_API_KEY',
        },
      })
    }
  })

  test('only a token with internal:keys:resolve may resolve keys', async () => {
    const { secret } = await createKey(member)
    const res = await admin.request(acme.owner, 'POST', '/admin/v1/internal/keys/resolve', { key: secret })
    expect(res.statusCode).toBe(403)
    expect(res.json().error.code).toBe('ADMIN_ERR_MISSING_SCOPE')
  })

  test('an expiry in the past is refused; a key past its expiry stops resolving', async () => {
    const past = await admin.request(member, 'POST', '/admin/v1/keys', {
      name: 'old',
      expiresAt: new Date(Date.now() - 60_000).toISOString(),
    })
    expect(past.statusCode).toBe(400)
    expect(past.json().error).toMatchObject({ code: 'ADMIN_ERR_INVALID_REQUEST', param: 'expiresAt' })

    const expiresAt = new Date(Date.now() + 3_600_000).toISOString()
    const { key, secret } = await createKey(member, { expiresAt })
    expect((await resolve(secret)).json().expiresAt).toBe(expiresAt)
    // Time passes: the expiry is moved into the past rather than waited for.
    await admin.sql.query("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", [
      key.id,
    ])
    expect((await resolve(secret)).statusCode).toBe(401)
  })
})

describe('rotate', () => {
  test('the new key works at once; the old one until its grace deadline and not after', async () => {
    const old = await createKey(member, { scopes: ['chat:write'] })
    const before = Date.now()
    const res = await admin.request(member, 'POST', `/admin/v1/keys/${old.key.id}/rotate`, {
      gracePeriodSeconds: 3600,
    })
    expect(res.statusCode, res.body).toBe(201)
    const rotated = res.json()
    expect(rotated.key).toMatchObject({ rotatedFrom: old.key.id, scopes: ['chat:write'], status: 'active' })
    expect(rotated.previous).toMatchObject({ id: old.key.id, status: 'rotating' })
    const deadline = Date.parse(rotated.previous.graceUntil)
    expect(deadline).toBeGreaterThanOrEqual(before + 3_600_000)
    expect(deadline).toBeLessThanOrEqual(Date.now() + 3_600_000)

    expect((await resolve(rotated.secret)).json().keyId).toBe(rotated.key.id)
    const oldResolved = await resolve(old.secret)
    expect(oldResolved.statusCode).toBe(200)
    // The gateway may cache the old key until its deadline, and no longer.
    expect(oldResolved.json()).toMatchObject({ keyId: old.key.id, expiresAt: rotated.previous.graceUntil })

    await admin.sql.query("UPDATE api_keys SET grace_until = now() - interval '1 second' WHERE id = $1", [
      old.key.id,
    ])
    expect((await resolve(old.secret)).statusCode).toBe(401)
    expect((await resolve(rotated.secret)).statusCode).toBe(200)
    const after = await admin.request(member, 'GET', `/admin/v1/keys/${old.key.id}`)
    expect(after.json().status).toBe('rotated')
  })

  test('a rotate without a body uses the configured grace; a rotated key cannot be rotated again', async () => {
    const old = await createKey(member)
    const res = await admin.request(member, 'POST', `/admin/v1/keys/${old.key.id}/rotate`)
    expect(res.statusCode, res.body).toBe(201)
    const grace = Date.parse(res.json().previous.graceUntil) - Date.now()
    // ADMIN_KEY_ROTATION_GRACE_MS defaults to 24 h.
    expect(grace).toBeGreaterThan(24 * 3_600_000 - 60_000)
    expect(grace).toBeLessThanOrEqual(24 * 3_600_000)
    const again = await admin.request(member, 'POST', `/admin/v1/keys/${old.key.id}/rotate`)
    expect(again.statusCode).toBe(409)
    expect(again.json().error.code).toBe('ADMIN_ERR_CONFLICT')
  })
})

describe('revoke', () => {
  test('a revoked key stops resolving and key-revoked is published, once', async () => {
    const { key, secret } = await createKey(member)
    expect((await resolve(secret)).statusCode).toBe(200)
    const res = await admin.request(member, 'POST', `/admin/v1/keys/${key.id}/revoke`)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ id: key.id, status: 'revoked' })
    expect((await resolve(secret)).statusCode).toBe(401)

    const event = await admin.configEvent((e) => e.kind === 'key-revoked' && e.payload.keyId === key.id)
    expect(event.orgId).toBe(acme.orgId)
    // Revoking again changes nothing and announces nothing.
    const again = await admin.request(member, 'POST', `/admin/v1/keys/${key.id}/revoke`)
    expect(again.statusCode).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 100))
    const announced = admin.configEvents.filter(
      (e) => e.data.kind === 'key-revoked' && e.data.payload.keyId === key.id,
    )
    expect(announced).toHaveLength(1)
  })

  test('key-revoked versions increase per org in the order of the revocations', async () => {
    const a = await createKey(member)
    const b = await createKey(member)
    await admin.request(member, 'POST', `/admin/v1/keys/${a.key.id}/revoke`)
    await admin.request(member, 'POST', `/admin/v1/keys/${b.key.id}/revoke`)
    const first = await admin.configEvent((e) => e.kind === 'key-revoked' && e.payload.keyId === a.key.id)
    const second = await admin.configEvent((e) => e.kind === 'key-revoked' && e.payload.keyId === b.key.id)
    expect(second.version).toBe(first.version + 1)
  })

  test('removing a member revokes their keys in the org', async () => {
    const leaving = await admin.addMember(acme, 'member')
    const { key, secret } = await createKey(leaving)
    const res = await admin.request(acme.owner, 'DELETE', `/admin/v1/users/${leaving.userId}`)
    expect(res.statusCode).toBe(204)
    expect((await resolve(secret)).statusCode).toBe(401)
    await admin.configEvent((e) => e.kind === 'key-revoked' && e.payload.keyId === key.id)
  })
})

describe('roles and scopes', () => {
  test('a viewer cannot create or rotate keys', async () => {
    const res = await admin.request(viewer, 'POST', '/admin/v1/keys', { name: 'mine' })
    expect(res.statusCode).toBe(403)
    expect(res.json().error).toMatchObject({ type: 'permission_error', code: 'ADMIN_ERR_FORBIDDEN' })
    const { key } = await createKey(acme.owner, { userId: viewer.userId })
    const rotate = await admin.request(viewer, 'POST', `/admin/v1/keys/${key.id}/rotate`)
    expect(rotate.statusCode).toBe(403)
  })

  test("a member sees and changes only their own keys; an admin sees everyone's", async () => {
    const ownersKey = await createKey(acme.owner)
    const mine = await admin.request(member, 'GET', '/admin/v1/keys')
    expect(mine.json().data.every((k: { userId: string }) => k.userId === member.userId)).toBe(true)
    for (const [method, url] of [
      ['GET', `/admin/v1/keys/${ownersKey.key.id}`],
      ['POST', `/admin/v1/keys/${ownersKey.key.id}/revoke`],
      ['POST', `/admin/v1/keys/${ownersKey.key.id}/rotate`],
    ] as const) {
      const res = await admin.request(member, method, url)
      expect(res.statusCode, url).toBe(404)
    }
    expect((await resolve(ownersKey.secret)).statusCode).toBe(200)
    const all = await admin.request(acme.owner, 'GET', '/admin/v1/keys')
    const owners = new Set(all.json().data.map((k: { userId: string }) => k.userId))
    expect(owners.has(member.userId) && owners.has(acme.ownerId)).toBe(true)
  })

  test('a member cannot make a key for someone else', async () => {
    const res = await admin.request(member, 'POST', '/admin/v1/keys', { name: 'x', userId: acme.ownerId })
    expect(res.statusCode).toBe(403)
  })

  test('an API key without admin scopes cannot use the admin API; with admin:read it can only read', async () => {
    const plain = await createKey(acme.owner, { scopes: ['chat:write'] })
    const readOnly = await createKey(acme.owner, { scopes: ['admin:read'] })
    const viaKey = (key: { key: { id: string } }, scopes: string[]): Identity => ({
      orgId: acme.orgId,
      userId: acme.ownerId,
      keyId: key.key.id,
      scopes,
    })
    const denied = await admin.request(viaKey(plain, ['chat:write']), 'GET', '/admin/v1/keys')
    expect(denied.statusCode).toBe(403)
    expect(denied.json().error.code).toBe('ADMIN_ERR_MISSING_SCOPE')
    expect((await admin.request(viaKey(readOnly, ['admin:read']), 'GET', '/admin/v1/keys')).statusCode).toBe(
      200,
    )
    const write = await admin.request(viaKey(readOnly, ['admin:read']), 'POST', '/admin/v1/keys', {
      name: 'y',
    })
    expect(write.statusCode).toBe(403)
    // The owner key from org creation names no scopes: it has an owner's, every one of them.
    const ownerKey = await resolve(acme.ownerKey)
    expect(ownerKey.json().scopes).toEqual([...roleScopes.owner])
  })

  test('a key made without a scope list resolves to its role defaults, as the role is now', async () => {
    const someone = await admin.addMember(acme, 'viewer')
    const created = await createKey(acme.owner, { userId: someone.userId })
    const listed = await admin.request(acme.owner, 'GET', `/admin/v1/keys/${created.key.id}`)
    expect(listed.json().scopes).toEqual([])
    // A viewer reads and spends nothing: no chat:write, no llm:use.
    expect((await resolve(created.secret)).json().scopes).toEqual([...roleScopes.viewer])
    expect(roleScopes.viewer).not.toContain(scopes.llmUse)
    const promoted = await admin.request(acme.owner, 'PATCH', `/admin/v1/users/${someone.userId}`, {
      role: 'member',
    })
    expect(promoted.statusCode).toBe(200)
    expect((await resolve(created.secret)).json().scopes).toEqual([...roleScopes.member])
    expect(roleScopes.member).toContain(scopes.llmUse)
  })

  test('a narrow key cannot mint or rotate a key without a list (it would get the role defaults)', async () => {
    const narrow = await createKey(acme.owner, { scopes: ['admin:read', 'admin:write'] })
    const viaNarrow: Identity = {
      orgId: acme.orgId,
      userId: acme.ownerId,
      keyId: narrow.key.id,
      scopes: ['admin:read', 'admin:write'],
    }
    const minted = await admin.request(viaNarrow, 'POST', '/admin/v1/keys', { name: 'wide' })
    expect(minted.statusCode).toBe(403)
    expect(minted.json().error).toMatchObject({ code: 'ADMIN_ERR_FORBIDDEN', param: 'scopes' })
    expect(minted.json().error.message).toContain(scopes.llmUse)
    const rotated = await admin.request(viaNarrow, 'POST', `/admin/v1/keys/${narrow.key.id}/rotate`, {})
    expect(rotated.statusCode).toBe(201)
    const wide = await createKey(acme.owner)
    const rotateWide = await admin.request(viaNarrow, 'POST', `/admin/v1/keys/${wide.key.id}/rotate`, {})
    expect(rotateWide.statusCode).toBe(403)
  })

  test('internal scopes cannot be given to an API key', async () => {
    const res = await admin.request(acme.owner, 'POST', '/admin/v1/keys', {
      name: 'sneaky',
      scopes: ['internal:keys:resolve'],
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toMatchObject({ code: 'ADMIN_ERR_INVALID_REQUEST', param: 'scopes' })
  })

  test('bad input is a 400 in the OpenAI error shape, naming the field', async () => {
    const cases: [unknown, string][] = [
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: 'x', scopes: 'chat:write' }, 'scopes'],
      [{ name: 'x', scopes: ['Not A Scope'] }, 'scopes[0]'],
      [{ name: 'x', expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ name: 'x', color: 'blue' }, 'color'],
    ]
    for (const [body, param] of cases) {
      const res = await admin.request(member, 'POST', '/admin/v1/keys', body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      const { error } = res.json()
      expect(error).toMatchObject({ type: 'invalid_request_error', code: 'KIT_ERR_VALIDATION' })
      expect(typeof error.message).toBe('string')
      expect(error.param, JSON.stringify(body)).toBe(param)
    }
    const rotate = await admin.request(member, 'POST', '/admin/v1/keys/key_x/rotate', {
      gracePeriodSeconds: -1,
    })
    expect(rotate.statusCode).toBe(400)
    expect(rotate.json().error.param).toBe('gracePeriodSeconds')
  })
})
