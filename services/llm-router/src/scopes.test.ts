// Scope checks at the router itself, not only at admin: a key that may only read the admin API
// must not spend. Each route declares `llm:use`; the kit's hook refuses before the body is read.
import { scopes } from '@switchyard/contracts'
import { alice, startFakeOpenAI } from '@switchyard/testing'
import { expect, onTestFinished, test } from 'vitest'
import { startRouter } from './router-under-test.ts'

test('an admin:read-only key gets a 403 KIT_ERR_MISSING_SCOPE on every route, and nothing reaches upstream', async () => {
  const upstream = await startFakeOpenAI({ models: ['gpt-fake'] })
  onTestFinished(() => upstream.close())
  const router = await startRouter({
    models: {
      'gpt-fake': {
        deployments: [{ id: 'f', provider: 'openai', baseUrl: upstream.url, model: 'gpt-fake' }],
      },
    },
  })
  const adminReader = await router.headersFor({ ...alice, scopes: [scopes.adminRead] })
  const calls = [
    {
      method: 'POST',
      path: '/v1/chat/completions',
      body: { model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] },
    },
    { method: 'POST', path: '/v1/embeddings', body: { model: 'gpt-fake', input: 'hi' } },
    { method: 'GET', path: '/v1/models' },
    { method: 'GET', path: '/v1/models/gpt-fake' },
  ]
  for (const call of calls) {
    const res = await fetch(`${router.url}${call.path}`, {
      method: call.method,
      headers: { ...adminReader, 'content-type': 'application/json' },
      ...(call.body && { body: JSON.stringify(call.body) }),
    })
    expect(res.status, call.path).toBe(403)
    const { error } = (await res.json()) as { error: { code: string; type: string; message: string } }
    expect(error, call.path).toMatchObject({ code: 'KIT_ERR_MISSING_SCOPE', type: 'permission_error' })
    expect(error.message).toContain(scopes.llmUse)
  }
  expect(upstream.requests).toHaveLength(0)
  expect(router.usage).toHaveLength(0)

  // The same caller with llm:use (here through the family wildcard) is served.
  const user = await router.headersFor({ ...alice, scopes: ['llm:*'] })
  const ok = await fetch(`${router.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...user, 'content-type': 'application/json' },
    body: JSON.stringify(calls[0]?.body),
  })
  expect(ok.status).toBe(200)
})
