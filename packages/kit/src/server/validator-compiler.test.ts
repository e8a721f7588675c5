import { Type } from 'typebox'
import { describe, expect, test } from 'vitest'
import { alice, testServer } from '../test-support.ts'
import { hasDefaults } from './validator-compiler.ts'

describe('hasDefaults', () => {
  test('finds a default at any depth, in $defs too, and nowhere else', () => {
    const cases: [unknown, boolean][] = [
      [Type.Object({ a: Type.String() }), false],
      [Type.Object({ a: Type.Integer({ default: 3 }) }), true],
      [Type.Object({ list: Type.Array(Type.Object({ on: Type.Boolean({ default: false }) })) }), true],
      [Type.Union([Type.String(), Type.Object({ n: Type.Number({ default: 1 }) })]), true],
      [Type.Cyclic({ Node: Type.Object({ next: Type.Array(Type.Ref('Node')) }) }, 'Node'), false],
      [Type.Cyclic({ Node: Type.Object({ n: Type.Integer({ default: 0 }) }) }, 'Node'), true],
      // A property named `default` is a name, and a constant holding one is data: neither is a keyword.
      [Type.Object({ default: Type.String() }), false],
      [Type.Literal('default'), false],
      [{ const: { default: 1 } }, false],
    ]
    for (const [schema, expected] of cases) expect(hasDefaults(schema), JSON.stringify(schema)).toBe(expected)
  })
})

describe('validation on a server', () => {
  async function echo() {
    const server = await testServer()
    server.app.post(
      '/plain',
      {
        schema: { body: Type.Object({ n: Type.Integer(), tags: Type.Optional(Type.Array(Type.String())) }) },
      },
      async (request) => request.body,
    )
    server.app.post(
      '/defaults',
      { schema: { body: Type.Object({ n: Type.Integer(), mode: Type.String({ default: 'fast' }) }) } },
      async (request) => request.body,
    )
    server.app.get(
      '/query',
      {
        schema: {
          querystring: Type.Object({ limit: Type.Integer({ default: 20 }), q: Type.Optional(Type.String()) }),
        },
      },
      async (request) => request.query,
    )
    return { app: server.app, headers: await server.asUser(alice) }
  }

  test('a body schema with defaults gets them filled; one without passes the body through as sent', async () => {
    const { app, headers } = await echo()
    const filled = await app.inject({ method: 'POST', url: '/defaults', headers, payload: { n: 1 } })
    expect(filled.json()).toEqual({ n: 1, mode: 'fast' })
    const plain = await app.inject({ method: 'POST', url: '/plain', headers, payload: { n: 2, tags: ['x'] } })
    expect(plain.json()).toEqual({ n: 2, tags: ['x'] })
  })

  test('a body is never coerced, with or without defaults; a querystring is converted and defaulted', async () => {
    const { app, headers } = await echo()
    for (const url of ['/plain', '/defaults']) {
      const res = await app.inject({ method: 'POST', url, headers, payload: { n: '3' } })
      expect(res.statusCode, url).toBe(400)
      expect(res.json().error.code).toBe('KIT_ERR_VALIDATION')
    }
    const query = await app.inject({ method: 'GET', url: '/query?q=a', headers })
    expect(query.json()).toEqual({ limit: 20, q: 'a' })
    const given = await app.inject({ method: 'GET', url: '/query?limit=5', headers })
    expect(given.json()).toEqual({ limit: 5 })
  })
})

describe('nesting depth of a body', () => {
  /** `{ "free": [[...]] }` whose nesting is `depth` levels, the body being level 1. */
  const nested = (depth: number) => `{"free":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`

  test('a body at maxJsonDepth is validated as usual; one level more is a 400 naming the field and the limit', async () => {
    const maxJsonDepth = 12
    const server = await testServer({ maxJsonDepth })
    server.app.post('/free', { schema: { body: Type.Object({ free: Type.Unknown() }) } }, async () => ({
      ok: true,
    }))
    const headers = { ...(await server.asUser(alice)), 'content-type': 'application/json' }
    const atLimit = await server.app.inject({
      method: 'POST',
      url: '/free',
      headers,
      payload: nested(maxJsonDepth),
    })
    expect(atLimit.json()).toEqual({ ok: true })
    const past = await server.app.inject({
      method: 'POST',
      url: '/free',
      headers,
      payload: nested(maxJsonDepth + 1),
    })
    expect(past.statusCode).toBe(400)
    expect(past.json().error).toMatchObject({ code: 'KIT_ERR_NESTING_TOO_DEEP', param: 'free' })
    expect(past.json().error.message).toContain(String(maxJsonDepth))
  })

  test('the walk stops at the limit: a body nested far past the stack is refused, not a crash', async () => {
    const server = await testServer()
    server.app.post('/free', { schema: { body: Type.Object({ free: Type.Unknown() }) } }, async () => ({}))
    const headers = { ...(await server.asUser(alice)), 'content-type': 'application/json' }
    const res = await server.app.inject({ method: 'POST', url: '/free', headers, payload: nested(50_000) })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('KIT_ERR_NESTING_TOO_DEEP')
  })
})
