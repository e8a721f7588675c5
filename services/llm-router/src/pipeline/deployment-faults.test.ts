import { startFakeOpenAI } from '@switchyard/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import { errorBody, startRouter } from '../router-under-test.ts'

const messages = [{ role: 'user' as const, content: 'count the stars tonight' }]
// What OpenAI answers a wrong key with: it quotes the key's first and last characters.
const keyPrefix = 'sk-live-4f9a'
const refusals = [
  { status: 401, message: `Incorrect API key provided: ${keyPrefix}************************wxyz.` },
  { status: 403, message: `Project proj_81x does not have access to model m (key ${keyPrefix}…)` },
  { status: 404, message: `The model m does not exist or key ${keyPrefix}… cannot reach it` },
]

async function fake() {
  const upstream = await startFakeOpenAI({ models: ['m'] })
  onTestFinished(() => upstream.close())
  return upstream
}

function deployment(id: string, url: string) {
  return { id, provider: 'openai', baseUrl: url, model: 'm' }
}

async function post(router: { url: string; headers: Record<string, string> }, body: object) {
  return fetch(`${router.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...router.headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

describe('an upstream that refuses the deployment (401, 403, 404)', () => {
  test.each(refusals)(
    '$status is the deployment’s fault: it cools down and the next one answers',
    async ({ status, message }) => {
      const refusing = await fake()
      const working = await fake()
      refusing.setBehavior({ status, message })
      const router = await startRouter({
        defaults: { strategy: 'weighted-round-robin' },
        models: {
          chat: { deployments: [deployment('refusing', refusing.url), deployment('working', working.url)] },
        },
      })
      const answers = []
      for (let i = 0; i < 3; i++) {
        const res = await post(router, { model: 'chat', messages })
        expect(res.status).toBe(200)
        answers.push(res.headers.get('x-switchyard-deployment'))
        await res.text()
      }
      expect(answers).toEqual(['working', 'working', 'working'])
      // Tried once, then cooling down: round robin would have sent it every other request.
      expect(refusing.requests).toHaveLength(1)
      expect(router.router.health.cooling('refusing')).toBeDefined()
    },
  )

  test.each(refusals)(
    '$status on every deployment: a generic 502 with a stable code, no upstream text',
    async ({ status, message }) => {
      const a = await fake()
      const b = await fake()
      a.setBehavior({ status, message })
      b.setBehavior({ status, message })
      const router = await startRouter({
        models: { chat: { deployments: [deployment('a', a.url), deployment('b', b.url)] } },
      })
      const res = await post(router, { model: 'chat', messages })
      const text = await res.clone().text()
      expect(res.status).toBe(502)
      expect((await errorBody(res)).error).toMatchObject({
        type: 'server_error',
        code: 'LLM_ROUTER_ERR_UPSTREAM_REFUSED',
      })
      expect(text).not.toContain(keyPrefix)
      expect(a.requests.length + b.requests.length).toBe(2)
    },
  )
})
