import { startFakeOpenAI } from '@switchyard/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import { errorBody, oneModel, startRouter } from '../router-under-test.ts'
import { imageTokens } from '../usage/tokens.ts'

async function routerWithTpm(tpm: number, deployment: Record<string, unknown> = {}) {
  const fake = await startFakeOpenAI({ models: ['m'] })
  onTestFinished(() => fake.close())
  const router = await startRouter(
    oneModel('chat', { provider: 'openai', baseUrl: fake.url, model: 'm', ...deployment }),
    { config: { LLM_ROUTER_LIMITS: { limits: { defaults: { key: { tpm } } } } } },
  )
  const chat = async (body: Record<string, unknown>) => {
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...router.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], ...body }),
    })
    if (res.status !== 200) return { status: res.status, error: (await errorBody(res)).error }
    await res.text()
    return { status: res.status, error: undefined }
  }
  return { fake, chat }
}

describe('admission reserves for everything a request can cost', () => {
  test('n choices reserve n times max_tokens', async () => {
    const maxTokens = 20
    const n = 8
    // One choice fits; n of them do not.
    const { chat, fake } = await routerWithTpm(maxTokens * 2)
    const refused = await chat({ max_tokens: maxTokens, n })
    expect(refused.status).toBe(429)
    expect(refused.error?.code).toBe('LLM_ROUTER_ERR_RATE_LIMITED')
    expect(fake.requests).toHaveLength(0)
    expect((await chat({ max_tokens: maxTokens, n: 1 })).status).toBe(200)
  })

  test('an image counts its documented estimate, not nothing', async () => {
    const { chat } = await routerWithTpm(imageTokens.high - 1)
    const image = (detail: 'low' | 'high') => ({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is it?' },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail } },
          ],
        },
      ],
      max_tokens: 1,
    })
    expect((await chat(image('high'))).status).toBe(429)
    expect((await chat(image('low'))).status).toBe(200)
  })

  test('tool definitions count as prompt', async () => {
    const description = 'x'.repeat(4_000)
    const tools = [{ type: 'function', function: { name: 'f', description, parameters: { type: 'object' } } }]
    const { chat } = await routerWithTpm(500)
    expect((await chat({ tools, max_tokens: 1 })).status).toBe(429)
    expect((await chat({ max_tokens: 1 })).status).toBe(200)
  })
})

describe('what reaches an OpenAI-compatible upstream', () => {
  test('fields the router does not know are dropped unless the deployment lists them', async () => {
    const { chat, fake } = await routerWithTpm(1_000_000, { options: { extraFields: ['guided_json'] } })
    const sent = await chat({ max_tokens: 4, best_of: 64, guided_json: { type: 'object' }, seed: 7 })
    expect(sent.status).toBe(200)
    await fake.idle()
    const body = fake.requests[0]?.body as Record<string, unknown>
    expect(body).not.toHaveProperty('best_of')
    expect(body).toMatchObject({ guided_json: { type: 'object' }, seed: 7, max_tokens: 4 })
  })
})
