import { createServiceError } from '@switchyard/kit'
import { countPromptTokens, countTokens, startFakeOpenAI } from '@switchyard/testing'
import OpenAI from 'openai'
import { expect, onTestFinished, test, vi } from 'vitest'
import { startRouter } from '../router-under-test.ts'
import type { Admission, AdmissionRequest } from './admission.ts'

const prompt = 'twelve characters!!'
const messages = [{ role: 'user' as const, content: prompt }]
const Limited = createServiceError('LLM_ROUTER_ERR_TEST_LIMIT', 'Rate limit reached for this key', 429)

test('admission sees the request before any upstream call; the ticket is settled with the actual cost once', async () => {
  const upstream = await startFakeOpenAI({ models: ['m'] })
  onTestFinished(() => upstream.close())
  const seen: AdmissionRequest[] = []
  const settle = vi.fn()
  const release = vi.fn()
  const admission: Admission = {
    admit(request) {
      seen.push(request)
      return { settle, release }
    },
  }
  const pricing = { inputPerMillion: 2, outputPerMillion: 8 }
  const router = await startRouter(
    {
      models: {
        chat: { pricing, deployments: [{ id: 'a', provider: 'openai', baseUrl: upstream.url, model: 'm' }] },
      },
    },
    { admission },
  )
  await router.openai.chat.completions.create({ model: 'chat', messages, max_tokens: 64 })
  await router.usageEvents(1)
  expect(seen).toEqual([
    {
      identity: expect.objectContaining({ orgId: 'org_acme', userId: 'user_alice' }),
      alias: 'chat',
      operation: 'chat',
      promptTokens: Math.ceil(prompt.length / 4),
      maxTokens: 64,
      choices: 1,
      pricing,
    },
  ])
  const input = countPromptTokens(messages)
  const output = countTokens(`echo: ${prompt}`)
  expect(settle).toHaveBeenCalledTimes(1)
  expect(settle).toHaveBeenCalledWith(
    (input * pricing.inputPerMillion + output * pricing.outputPerMillion) / 1_000_000,
    { input, output },
  )
  expect(release).not.toHaveBeenCalled()
})

test('a refusal is the caller’s 429 with its Retry-After, and no upstream is called', async () => {
  const upstream = await startFakeOpenAI({ models: ['m'] })
  onTestFinished(() => upstream.close())
  const admission: Admission = {
    admit() {
      throw Object.assign(new Limited(), { headers: { 'retry-after': '7' } })
    },
  }
  const router = await startRouter(
    {
      models: { chat: { deployments: [{ id: 'a', provider: 'openai', baseUrl: upstream.url, model: 'm' }] } },
    },
    { admission },
  )
  const error = await router.openai.chat.completions
    .create({ model: 'chat', messages })
    .catch((e: unknown) => e)
  expect(error).toBeInstanceOf(OpenAI.RateLimitError)
  expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after')).toBe('7')
  expect((error as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('LLM_ROUTER_ERR_TEST_LIMIT')
  expect(upstream.requests).toHaveLength(0)
})

test('a request that fails before any tokens releases its ticket instead of settling it', async () => {
  const upstream = await startFakeOpenAI({ models: ['m'] })
  onTestFinished(() => upstream.close())
  upstream.setBehavior({ status: 500 })
  const settle = vi.fn()
  const release = vi.fn()
  const router = await startRouter(
    {
      defaults: { retry: { baseDelayMs: 1, maxAttempts: 2 } },
      models: { chat: { deployments: [{ id: 'a', provider: 'openai', baseUrl: upstream.url, model: 'm' }] } },
    },
    { admission: { admit: async () => ({ settle, release }) } },
  )
  await router.openai.chat.completions.create({ model: 'chat', messages }).catch(() => undefined)
  await router.usageEvents(1)
  expect(release).toHaveBeenCalledTimes(1)
  expect(settle).not.toHaveBeenCalled()
})
