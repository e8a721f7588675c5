import { alice, startFakeOpenAI } from '@switchyard/testing'
import { expect, onTestFinished, test } from 'vitest'
import { errorBody, oneModel, startRouter } from '../router-under-test.ts'

async function upstream() {
  const fake = await startFakeOpenAI({ models: ['m'] })
  onTestFinished(() => fake.close())
  return fake
}

const chat = (url: string, headers: Record<string, string>) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 }),
  })

test('LLM_ROUTER_LIMITS limits the router: past its rpm a key gets a 429 and the upstream is not called', async () => {
  const fake = await upstream()
  const rpm = 2
  const router = await startRouter(oneModel('chat', { provider: 'openai', baseUrl: fake.url, model: 'm' }), {
    config: { LLM_ROUTER_LIMITS: { limits: { defaults: { key: { rpm } } } } },
  })
  const statuses: number[] = []
  for (let i = 0; i < rpm + 1; i++) statuses.push((await chat(router.url, router.headers)).status)
  expect(statuses).toEqual([...Array(rpm).fill(200), 429])
  const refused = await chat(router.url, router.headers)
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
  expect((await errorBody(refused)).error).toMatchObject({
    code: 'LLM_ROUTER_ERR_RATE_LIMITED',
    message: expect.stringContaining(`key ${alice.keyId}`),
  })
  await fake.idle()
  expect(fake.requests).toHaveLength(rpm)
})

test('an invalid LLM_ROUTER_LIMITS fails the start, naming the key and the field', async () => {
  const fake = await upstream()
  await expect(
    startRouter(oneModel('chat', { provider: 'openai', baseUrl: fake.url, model: 'm' }), {
      config: { LLM_ROUTER_LIMITS: { limits: { defaults: { key: { rpm: 0 } } } } },
    }),
  ).rejects.toThrow(/LLM_ROUTER_LIMITS[\s\S]*\/limits\/defaults\/key\/rpm/)
})
