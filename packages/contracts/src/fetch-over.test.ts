import { MockAgent } from 'undici'
import { expect, onTestFinished, test } from 'vitest'
import { fetchOver } from './fetch-over.ts'

const origin = 'http://llm-router.internal'

function router() {
  const agent = new MockAgent()
  agent.disableNetConnect()
  onTestFinished(() => agent.close())
  return { pool: agent.get(origin), fetch: fetchOver(agent) }
}

test('method, path with query, headers and a string body reach the dispatcher; the answer comes back as a Response', async () => {
  const { pool, fetch } = router()
  let seen: { headers: Record<string, string>; body: string } | undefined
  pool.intercept({ path: '/v1/chat/completions?x=1', method: 'POST' }).reply((request) => {
    seen = { headers: request.headers as Record<string, string>, body: String(request.body) }
    return { statusCode: 201, data: { ok: true }, responseOptions: { headers: { 'x-answer': 'yes' } } }
  })
  const res = await fetch(`${origin}/v1/chat/completions?x=1`, {
    method: 'POST',
    headers: new Headers({ authorization: 'Bearer tok', 'content-type': 'application/json' }),
    body: JSON.stringify({ model: 'm' }),
  })
  expect(res.status).toBe(201)
  expect(res.headers.get('x-answer')).toBe('yes')
  expect(await res.json()).toEqual({ ok: true })
  expect(seen?.headers.authorization).toBe('Bearer tok')
  expect(JSON.parse(seen?.body ?? '')).toEqual({ model: 'm' })
})

test('a body of another kind is read whole first; a 204 answers with no body', async () => {
  const { pool, fetch } = router()
  let seen = ''
  pool.intercept({ path: '/v1/files', method: 'PUT' }).reply((request) => {
    seen = String(request.body)
    return { statusCode: 204, data: '' }
  })
  const res = await fetch(`${origin}/v1/files`, { method: 'PUT', body: new Blob(['some bytes']) })
  expect(res.status).toBe(204)
  expect(res.body).toBeNull()
  expect(seen).toBe('some bytes')
})
