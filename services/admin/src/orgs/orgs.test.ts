import { pino } from 'pino'
import { afterAll, describe, expect, test } from 'vitest'
import { gateway, startAdmin, uniqueEmail } from '../admin-under-test.ts'
import { bootstrapAdmin, bootstrapOnStart } from '../bootstrap/bootstrap.ts'
import { bootstrapCommand } from '../bootstrap/command.ts'

const admin = await startAdmin()
afterAll(() => admin.close())
const acme = await admin.createOrg('Acme')
const acmeAdmin = await admin.addMember(acme, 'admin')

const orgCount = async () =>
  (await admin.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM orgs')).rows[0]?.n ?? 0

describe('bootstrap', () => {
  test('at start, ADMIN_BOOTSTRAP_* made the operator org with its owner', async () => {
    const org = await admin.request(admin.operator.owner, 'GET', `/admin/v1/orgs/${admin.operator.orgId}`)
    expect(org.json()).toMatchObject({ name: 'Operator', operator: true })
    const me = await admin.request(admin.operator.owner, 'GET', `/admin/v1/users/${admin.operator.ownerId}`)
    expect(me.json().role).toBe('owner')
  })

  test('refuses clearly once an org exists, and changes nothing', async () => {
    const before = await orgCount()
    const error = await bootstrapAdmin(admin.sql, {
      orgName: 'Again',
      ownerEmail: uniqueEmail('again'),
    }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ADMIN_ERR_BOOTSTRAP_REFUSED', statusCode: 409 })
    expect((error as Error).message).toBe(
      `Bootstrap refused: ${before} organizations already exist; bootstrap only runs on an empty platform`,
    )
    expect(await orgCount()).toBe(before)

    const lines: string[] = []
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) })
    const result = await bootstrapOnStart(
      admin.sql,
      { orgName: 'Again', ownerEmail: uniqueEmail('again') },
      logger,
    )
    expect(result).toBeNull()
    expect(lines).toEqual([])
  })

  test('the CLI command refuses with exit 1, and a missing option is a usage error (exit 2)', async () => {
    const run = async (values: Record<string, string>) => {
      const out = { stdout: '', stderr: '' }
      const code = await bootstrapCommand.run({
        sql: admin.sql,
        values,
        stdout: (text) => {
          out.stdout += text
        },
        stderr: (text) => {
          out.stderr += text
        },
      })
      return { code, ...out }
    }
    const refused = await run({ org: 'Again', 'owner-email': uniqueEmail('cli') })
    expect(refused.code).toBe(1)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toMatch(
      /^switchyard admin bootstrap: Bootstrap refused: \d+ organizations already exist/,
    )
    const usage = await run({ org: 'Again' })
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain(bootstrapCommand.usage)
    const badEmail = await run({ org: 'Again', 'owner-email': 'nobody' })
    expect(badEmail.code).toBe(2)
  })
})

describe('orgs', () => {
  test('only the operator creates orgs; the new owner key works', async () => {
    const denied = await admin.request(acme.owner, 'POST', '/admin/v1/orgs', {
      name: 'Mine',
      ownerEmail: uniqueEmail('x'),
    })
    expect(denied.statusCode).toBe(403)
    const resolved = await admin.request(gateway, 'POST', '/admin/v1/internal/keys/resolve', {
      key: acme.ownerKey,
    })
    expect(resolved.json()).toMatchObject({ orgId: acme.orgId, userId: acme.ownerId })
    const operatorAudit = await admin.request(
      admin.operator.owner,
      'GET',
      '/admin/v1/audit?action=org.create',
    )
    expect(operatorAudit.json().data.map((e: { targetId: string }) => e.targetId)).toContain(acme.orgId)
  })

  test('a rename is audited with before and after', async () => {
    const res = await admin.request(acmeAdmin, 'PATCH', `/admin/v1/orgs/${acme.orgId}`, { name: 'Acme Corp' })
    expect(res.json().name).toBe('Acme Corp')
    const audit = await admin.request(acme.owner, 'GET', '/admin/v1/audit?action=org.update')
    expect(audit.json().data[0]).toMatchObject({
      actorUserId: acmeAdmin.userId,
      details: { from: { name: 'Acme' }, to: { name: 'Acme Corp' } },
    })
  })

  test('deleting an org stops its keys (announced) and its members lose access; the operator org stays', async () => {
    const doomed = await admin.createOrg('Doomed')
    const member = await admin.addMember(doomed, 'member')
    const key = (await admin.request(member, 'POST', '/admin/v1/keys', { name: 'k' })).json()
    expect((await admin.request(acme.owner, 'DELETE', `/admin/v1/orgs/${doomed.orgId}`)).statusCode).toBe(404)
    const byAdmin = await admin.request(member, 'DELETE', `/admin/v1/orgs/${doomed.orgId}`)
    expect(byAdmin.statusCode).toBe(403)

    expect((await admin.request(doomed.owner, 'DELETE', `/admin/v1/orgs/${doomed.orgId}`)).statusCode).toBe(
      204,
    )
    for (const secret of [key.secret, doomed.ownerKey]) {
      const res = await admin.request(gateway, 'POST', '/admin/v1/internal/keys/resolve', { key: secret })
      expect(res.statusCode).toBe(401)
    }
    await admin.configEvent((e) => e.kind === 'key-revoked' && e.payload.keyId === key.key.id)
    const after = await admin.request(doomed.owner, 'GET', `/admin/v1/orgs/${doomed.orgId}`)
    expect(after.statusCode).toBe(403)
    expect(after.json().error.code).toBe('ADMIN_ERR_NOT_A_MEMBER')

    const operator = await admin.request(
      admin.operator.owner,
      'DELETE',
      `/admin/v1/orgs/${admin.operator.orgId}`,
    )
    expect(operator.statusCode).toBe(409)
  })
})

describe('members and roles', () => {
  test('only owners grant or take the owner role; admins manage the rest', async () => {
    const promote = await admin.request(acmeAdmin, 'POST', '/admin/v1/users', {
      email: uniqueEmail('o'),
      role: 'owner',
    })
    expect(promote.statusCode).toBe(403)
    const dev = await admin.addMember(acme, 'viewer')
    const up = await admin.request(acmeAdmin, 'PATCH', `/admin/v1/users/${dev.userId}`, { role: 'member' })
    expect(up.json().role).toBe('member')
    const toOwner = await admin.request(acmeAdmin, 'PATCH', `/admin/v1/users/${dev.userId}`, {
      role: 'owner',
    })
    expect(toOwner.statusCode).toBe(403)
    const demoteOwner = await admin.request(acmeAdmin, 'PATCH', `/admin/v1/users/${acme.ownerId}`, {
      role: 'viewer',
    })
    expect(demoteOwner.statusCode).toBe(403)
    const memberAdds = await admin.request(dev, 'POST', '/admin/v1/users', {
      email: uniqueEmail('m'),
      role: 'viewer',
    })
    expect(memberAdds.statusCode).toBe(403)
    const audit = await admin.request(acme.owner, 'GET', `/admin/v1/audit?targetId=${dev.userId}`)
    expect(audit.json().data.map((e: { action: string }) => e.action)).toEqual([
      'user.role.change',
      'user.add',
    ])
  })

  test('the last owner can be neither demoted nor removed', async () => {
    const solo = await admin.createOrg('Solo')
    const demote = await admin.request(solo.owner, 'PATCH', `/admin/v1/users/${solo.ownerId}`, {
      role: 'admin',
    })
    expect(demote.statusCode).toBe(409)
    const remove = await admin.request(solo.owner, 'DELETE', `/admin/v1/users/${solo.ownerId}`)
    expect(remove.statusCode).toBe(409)
    const second = await admin.addMember(solo, 'owner')
    const nowOk = await admin.request(second, 'PATCH', `/admin/v1/users/${solo.ownerId}`, { role: 'admin' })
    expect(nowOk.json().role).toBe('admin')
  })

  test('viewers read; audit is for admins', async () => {
    const viewer = await admin.addMember(acme, 'viewer')
    expect((await admin.request(viewer, 'GET', '/admin/v1/users')).statusCode).toBe(200)
    expect((await admin.request(viewer, 'GET', '/admin/v1/audit')).statusCode).toBe(403)
    expect(
      (
        await admin.request(viewer, 'POST', '/admin/v1/budgets', {
          scope: 'org',
          amountUsd: 1,
          period: 'day',
        })
      ).statusCode,
    ).toBe(403)
  })

  test('bad member input is a 400', async () => {
    for (const body of [
      { email: 'not-an-email', role: 'viewer' },
      { email: uniqueEmail('r'), role: 'superuser' },
      { role: 'viewer' },
    ]) {
      const res = await admin.request(acme.owner, 'POST', '/admin/v1/users', body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.json().error.code).toBe('KIT_ERR_VALIDATION')
    }
  })
})

test('the OpenAPI document lists the admin routes', async () => {
  const res = await admin.app.inject({ method: 'GET', url: '/docs/json' })
  expect(res.statusCode).toBe(200)
  const paths = Object.keys(res.json().paths)
  for (const path of [
    '/admin/v1/keys',
    '/admin/v1/usage',
    '/admin/v1/internal/keys/resolve',
    '/v1/prompts/{name}',
  ]) {
    expect(paths).toContain(path)
  }
})
