import type { Identity } from '@switchyard/contracts'
import { afterAll, expect, test } from 'vitest'
import { startAdmin } from '../admin-under-test.ts'

const admin = await startAdmin()
afterAll(() => admin.close())
const acme = await admin.createOrg('Acme')
const [writer, viewer] = await admin.addMembers(acme, ['member', 'viewer'])

async function addVersion(name: string, template: string, extra: Record<string, unknown> = {}) {
  const variables = [...template.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1])
  const res = await admin.request(writer, 'POST', `/admin/v1/prompts/${name}/versions`, {
    template,
    variables,
    ...extra,
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json() as { version: number; template: string }
}

const resolve = (who: Identity, name: string, query = '') =>
  admin.request(who, 'GET', `/v1/prompts/${name}${query}`)

test('versions are numbered from 1 and listed newest first', async () => {
  const texts = ['Hello {{user}}', 'Hi {{user}}!', 'Dear {{ user }}, about {{topic}}']
  const versions = []
  for (const text of texts) versions.push(await addVersion('greeting', text))
  expect(versions.map((v) => v.version)).toEqual(texts.map((_, i) => i + 1))
  const list = await admin.request(viewer, 'GET', '/admin/v1/prompts/greeting/versions')
  expect(list.json().data.map((v: { version: number; template: string }) => [v.version, v.template])).toEqual(
    texts.map((text, i) => [i + 1, text]).reverse(),
  )
})

test('resolving production returns the new version right after the label moves, and the move is audited', async () => {
  const v1 = await addVersion('support', 'You help with {{product}}.', {
    modelConfig: { model: 'llama-3.1-8b', temperature: 0.2 },
  })
  const v2 = await addVersion('support', 'You help with {{product}}. Be brief.')

  const first = await admin.request(writer, 'PUT', '/admin/v1/prompts/support/labels/production', {
    version: v1.version,
  })
  expect(first.json()).toEqual({
    name: 'support',
    label: 'production',
    version: v1.version,
    previousVersion: null,
  })
  const before = await resolve(viewer, 'support', '?label=production')
  expect(before.json()).toEqual({
    name: 'support',
    version: v1.version,
    label: 'production',
    template: v1.template,
    variables: ['product'],
    modelConfig: { model: 'llama-3.1-8b', temperature: 0.2 },
  })

  const move = await admin.request(writer, 'PUT', '/admin/v1/prompts/support/labels/production', {
    version: v2.version,
  })
  expect(move.statusCode).toBe(200)
  expect(move.json().previousVersion).toBe(v1.version)
  const after = await resolve(viewer, 'support')
  expect(after.json()).toMatchObject({ version: v2.version, label: 'production', template: v2.template })

  const audit = await admin.request(acme.owner, 'GET', '/admin/v1/audit?action=prompt.label.move')
  const moves = audit.json().data.filter((e: { details: { name: string } }) => e.details.name === 'support')
  expect(moves.map((e: { details: unknown; actorUserId: string }) => [e.details, e.actorUserId])).toEqual([
    [{ name: 'support', label: 'production', from: v1.version, to: v2.version }, writer.userId],
    [{ name: 'support', label: 'production', from: null, to: v1.version }, writer.userId],
  ])

  const event = await admin.configEvent(
    (e) => e.kind === 'prompt-label' && e.payload.prompt === 'support' && e.payload.version === v2.version,
  )
  expect(event).toMatchObject({ orgId: acme.orgId, payload: { label: 'production' } })
})

test('no route changes a version, and the database refuses an UPDATE', async () => {
  const v1 = await addVersion('frozen', 'Original {{x}}')
  for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
    const res = await admin.request(writer, method, `/admin/v1/prompts/frozen/versions/${v1.version}`, {
      template: 'changed',
    })
    expect(res.statusCode, method).toBe(404)
  }
  await expect(
    admin.sql.query("UPDATE prompt_versions SET template = 'changed' WHERE template = 'Original {{x}}'"),
  ).rejects.toThrow(/immutable/)
  const read = await admin.request(viewer, 'GET', `/admin/v1/prompts/frozen/versions/${v1.version}`)
  expect(read.json().template).toBe('Original {{x}}')
})

test('a version can be created with labels, and the prompt shows where each points', async () => {
  const v = await addVersion('digest', 'Summarize {{text}}', {
    labels: ['staging'],
    description: 'Daily digest',
  })
  const prompt = await admin.request(viewer, 'GET', '/admin/v1/prompts/digest')
  expect(prompt.json()).toMatchObject({
    name: 'digest',
    description: 'Daily digest',
    latestVersion: v.version,
    labels: { staging: v.version },
  })
  expect((await resolve(viewer, 'digest', '?label=staging')).json().version).toBe(v.version)
  // No production label yet: the default resolve is a 404.
  const missing = await resolve(viewer, 'digest')
  expect(missing.statusCode).toBe(404)
  expect(missing.json().error.code).toBe('ADMIN_ERR_NOT_FOUND')
  expect((await resolve(viewer, 'digest', `?version=${v.version}`)).json()).toMatchObject({
    version: v.version,
    label: null,
  })
})

test('a label can only point at an existing version', async () => {
  await addVersion('short', 'Be short.')
  const res = await admin.request(writer, 'PUT', '/admin/v1/prompts/short/labels/production', { version: 9 })
  expect(res.statusCode).toBe(404)
})

test('bad input is a 400 in the error shape', async () => {
  const undeclared = await admin.request(writer, 'POST', '/admin/v1/prompts/bad/versions', {
    template: 'Hello {{name}} from {{place}}',
    variables: ['name'],
  })
  expect(undeclared.statusCode).toBe(400)
  expect(undeclared.json().error).toEqual({
    type: 'invalid_request_error',
    message: 'The template uses undeclared variables: place',
    code: 'ADMIN_ERR_INVALID_REQUEST',
    param: 'variables',
  })
  const cases: [string, unknown][] = [
    ['/admin/v1/prompts/bad/versions', { template: '' }],
    ['/admin/v1/prompts/bad/versions', { template: 'x', modelConfig: { temperature: 5 } }],
    ['/admin/v1/prompts/Not%20A%20Name/versions', { template: 'x' }],
  ]
  for (const [url, body] of cases) {
    const res = await admin.request(writer, 'POST', url, body)
    expect(res.statusCode, url).toBe(400)
    expect(res.json().error.code).toBe('KIT_ERR_VALIDATION')
  }
  const label = await admin.request(writer, 'PUT', '/admin/v1/prompts/short/labels/production', {
    version: 'latest',
  })
  expect(label.statusCode).toBe(400)
  expect(label.json().error.param).toBe('version')
})

test('viewers read prompts but cannot write them', async () => {
  const res = await admin.request(viewer, 'POST', '/admin/v1/prompts/mine/versions', { template: 'x' })
  expect(res.statusCode).toBe(403)
  const move = await admin.request(viewer, 'PUT', '/admin/v1/prompts/short/labels/production', { version: 1 })
  expect(move.statusCode).toBe(403)
})
