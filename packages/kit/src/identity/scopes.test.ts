import { scopes } from '@switchyard/contracts'
import { expect, test } from 'vitest'
import { alice, testServer } from '../test-support.ts'

async function serverWithScopedRoutes() {
  const server = await testServer()
  let bodiesRead = 0
  server.app.addHook('preValidation', async () => {
    bodiesRead++
  })
  server.app.post('/spend', { config: { scopes: [scopes.llmUse] } }, async () => ({ spent: true }))
  server.app.get('/both', { config: { scopes: [scopes.chatRead, scopes.filesRead] } }, async () => ({}))
  server.app.get('/any', async () => ({}))
  return { ...server, bodiesRead: () => bodiesRead }
}

test('a route declaring a scope refuses a caller without it: 403 KIT_ERR_MISSING_SCOPE, body unread', async () => {
  const { app, asUser, bodiesRead } = await serverWithScopedRoutes()
  const adminReader = { ...alice, scopes: [scopes.adminRead] }
  // Twice: the second request meets the verifier's cache, which takes another path.
  for (const attempt of [1, 2]) {
    const res = await app.inject({
      method: 'POST',
      url: '/spend',
      headers: await asUser(adminReader),
      payload: { x: 1 },
    })
    expect(res.statusCode, `attempt ${attempt}`).toBe(403)
    expect(res.json()).toEqual({
      error: {
        type: 'permission_error',
        code: 'KIT_ERR_MISSING_SCOPE',
        message: 'This needs the scope llm:use, which these credentials lack',
      },
    })
  }
  expect(bodiesRead()).toBe(0)
})

test('the scope itself or its family wildcard passes; every listed scope is needed', async () => {
  const { app, asUser } = await serverWithScopedRoutes()
  const call = async (url: string, held: string[]) =>
    (
      await app.inject({
        method: url === '/spend' ? 'POST' : 'GET',
        url,
        headers: await asUser({ ...alice, scopes: held }),
      })
    ).statusCode
  expect(await call('/spend', [scopes.llmUse])).toBe(200)
  expect(await call('/spend', ['llm:*'])).toBe(200)
  expect(await call('/spend', ['llm'])).toBe(403)
  expect(await call('/spend', ['llmx:*'])).toBe(403)
  expect(await call('/both', [scopes.chatRead])).toBe(403)
  expect(await call('/both', [scopes.chatRead, 'files:*'])).toBe(200)
  // A route that declares nothing takes any valid identity, as before.
  expect(await call('/any', [])).toBe(200)
})
