import { setTimeout as sleep } from 'node:timers/promises'
import { fakeClock, startFakeOpenAI } from '@switchyard/testing'
import OpenAI from 'openai'
import { describe, expect, onTestFinished, test } from 'vitest'
import { errorBody, startRouter } from '../router-under-test.ts'
import { tokenCounter } from '../usage/tokens.ts'

const messages = [{ role: 'user' as const, content: 'count the stars tonight' }]

async function fake(models = ['m']) {
  const upstream = await startFakeOpenAI({ models })
  onTestFinished(() => upstream.close())
  return upstream
}

function deployment(id: string, url: string, extra: Record<string, unknown> = {}) {
  return { id, provider: 'openai', baseUrl: url, model: 'm', ...extra }
}

/** Reads a raw SSE response to its end (the official client throws on an error event). */
async function rawStream(url: string, headers: Record<string, string>, body: object) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true }),
  })
  return { res, text: await res.text() }
}

describe('retries before the first byte', () => {
  test('an upstream 500 then success is retried: one answer, attempts header 2, one retry counted', async () => {
    const upstream = await fake()
    upstream.setBehavior({ status: 500, failTimes: 1 })
    const router = await startRouter({
      defaults: { retry: { baseDelayMs: 10 } },
      models: { chat: { deployments: [deployment('only', upstream.url)] } },
    })
    const { data, response } = await router.openai.chat.completions
      .create({ model: 'chat', messages })
      .withResponse()
    expect(data.choices[0]?.message.content).toBe('echo: count the stars tonight')
    expect(response.headers.get('x-switchyard-attempts')).toBe('2')
    expect(upstream.requests.map((r) => r.status)).toEqual([500, 200])
    const metrics = await router.metrics.metrics()
    expect(metrics).toMatch(
      /llm_retries_total\{model="chat",deployment="only",provider="openai",org="org_acme"\} 1/,
    )
  })

  test('every attempt failing ends in a 502 with a stable code, after maxAttempts tries', async () => {
    const upstream = await fake()
    upstream.setBehavior({ status: 503 })
    const maxAttempts = 3
    const router = await startRouter({
      defaults: { retry: { baseDelayMs: 5, maxAttempts } },
      models: { chat: { deployments: [deployment('only', upstream.url)] } },
    })
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...router.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages }),
    })
    expect(res.status).toBe(502)
    expect((await errorBody(res)).error).toMatchObject({
      type: 'server_error',
      code: 'LLM_ROUTER_ERR_UPSTREAM',
    })
    expect(res.headers.get('x-switchyard-attempts')).toBe(String(maxAttempts))
    expect(upstream.requests).toHaveLength(maxAttempts)
  })

  test('a 429 keeps its deployment out for its Retry-After while a second deployment serves', async () => {
    const limited = await fake()
    const spare = await fake()
    const retryAfterSeconds = 1
    limited.setBehavior({ status: 429, retryAfterSeconds, failTimes: 1 })
    const clock = fakeClock()
    const router = await startRouter(
      {
        defaults: { cooldown: { baseMs: 50 } },
        models: {
          chat: { deployments: [deployment('limited', limited.url), deployment('spare', spare.url)] },
        },
      },
      { now: clock.now },
    )
    const first = await router.openai.chat.completions.create({ model: 'chat', messages }).withResponse()
    expect(first.response.headers.get('x-switchyard-deployment')).toBe('spare')
    expect(first.response.headers.get('x-switchyard-attempts')).toBe('2')
    // Round robin would alternate; the held deployment gets nothing until its Retry-After passes.
    const during = []
    for (let i = 0; i < 4; i++) {
      clock.advance((retryAfterSeconds * 1000) / 4 - 1)
      const r = await router.openai.chat.completions.create({ model: 'chat', messages }).withResponse()
      during.push(r.response.headers.get('x-switchyard-deployment'))
    }
    expect(during).toEqual(['spare', 'spare', 'spare', 'spare'])
    expect(limited.requests).toHaveLength(1)
    clock.advance(4)
    const after = []
    for (let i = 0; i < 2; i++) {
      const r = await router.openai.chat.completions.create({ model: 'chat', messages }).withResponse()
      after.push(r.response.headers.get('x-switchyard-deployment'))
    }
    expect(after.sort()).toEqual(['limited', 'spare'])
  })

  test('with one deployment, a short Retry-After is waited out before the retry', async () => {
    const upstream = await fake()
    const retryAfterSeconds = 1
    upstream.setBehavior({ status: 429, retryAfterSeconds, failTimes: 1 })
    const router = await startRouter({
      defaults: { cooldown: { baseMs: 10 } },
      models: { chat: { deployments: [deployment('only', upstream.url)] } },
    })
    const started = Date.now()
    const { response } = await router.openai.chat.completions
      .create({ model: 'chat', messages })
      .withResponse()
    expect(response.headers.get('x-switchyard-attempts')).toBe('2')
    const [failed, retried] = upstream.requests
    expect((retried?.receivedAt ?? 0) - (failed?.receivedAt ?? 0)).toBeGreaterThanOrEqual(
      retryAfterSeconds * 1000 - 20,
    )
    expect(Date.now() - started).toBeGreaterThanOrEqual(retryAfterSeconds * 1000 - 20)
  })

  test('a Retry-After longer than the router waits is answered 429 with it', async () => {
    const upstream = await fake()
    const retryAfterSeconds = 30
    upstream.setBehavior({ status: 429, retryAfterSeconds })
    const router = await startRouter({
      models: { chat: { deployments: [deployment('only', upstream.url)] } },
    })
    const error = await router.openai.chat.completions
      .create({ model: 'chat', messages })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.RateLimitError)
    const retryAfter = Number(
      (error as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after'),
    )
    expect(retryAfter).toBeGreaterThan(retryAfterSeconds - 2)
    expect(retryAfter).toBeLessThanOrEqual(retryAfterSeconds)
    expect(upstream.requests).toHaveLength(1)
  })
})

describe('timeouts and fallbacks', () => {
  test('a hanging upstream trips the TTFT timeout and the fallback alias answers; the hung call is aborted', async () => {
    const hung = await fake()
    const backup = await fake()
    hung.setBehavior({ hang: true })
    const ttftMs = 200
    const router = await startRouter({
      models: {
        primary: {
          deployments: [deployment('hung', hung.url, { timeouts: { ttftMs } })],
          fallbacks: ['backup'],
        },
        backup: { deployments: [deployment('backup', backup.url)] },
      },
    })
    const started = Date.now()
    const { res, text } = await rawStream(router.url, router.headers, { model: 'primary', messages })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-switchyard-deployment')).toBe('backup')
    expect(res.headers.get('x-switchyard-attempts')).toBe('2')
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true)
    expect(text).toContain('"model":"primary"')
    expect(Date.now() - started).toBeGreaterThanOrEqual(ttftMs)
    await hung.idle()
    expect(hung.requests).toHaveLength(1)
    expect(hung.requests[0]?.aborted).toBe(true)
  })

  test('a non-streamed call past its total timeout is a 504 once nothing else can serve', async () => {
    const slow = await fake()
    slow.setBehavior({ latencyMs: 2_000 })
    const router = await startRouter({
      models: { chat: { deployments: [deployment('slow', slow.url, { timeouts: { totalMs: 150 } })] } },
    })
    const error = await router.openai.chat.completions
      .create({ model: 'chat', messages })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(504)
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('LLM_ROUTER_ERR_UPSTREAM_TIMEOUT')
    await slow.idle()
    expect(slow.requests[0]?.aborted).toBe(true)
  })

  test('a context-length error falls back to the alias named for it, and only to that one', async () => {
    const small = await fake()
    const large = await fake()
    const general = await fake()
    small.setBehavior({ contextLengthExceeded: true })
    const router = await startRouter({
      models: {
        small: {
          deployments: [deployment('small', small.url)],
          fallbacksOn: { context_length_exceeded: ['large'] },
          fallbacks: ['general'],
        },
        large: { deployments: [deployment('large', large.url)] },
        general: { deployments: [deployment('general', general.url)] },
        'small-alone': { deployments: [deployment('small-alone', small.url)], fallbacks: ['general'] },
      },
    })
    const { response } = await router.openai.chat.completions
      .create({ model: 'small', messages })
      .withResponse()
    expect(response.headers.get('x-switchyard-deployment')).toBe('large')
    // Not retried on the same model: the prompt would not fit any better.
    expect(small.requests).toHaveLength(1)
    const error = await router.openai.chat.completions
      .create({ model: 'small-alone', messages })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe(
      'LLM_ROUTER_ERR_CONTEXT_LENGTH_EXCEEDED',
    )
    expect(general.requests).toHaveLength(0)
  })
})

describe('after the first byte', () => {
  test('a mid-stream drop ends in an in-band error event, never [DONE], and its usage is recorded as an error', async () => {
    const upstream = await fake()
    const framesBeforeDrop = 3
    upstream.setBehavior({ dropMidStream: framesBeforeDrop })
    const router = await startRouter({
      models: { chat: { deployments: [deployment('drops', upstream.url)] } },
    })
    const { res, text } = await rawStream(router.url, router.headers, { model: 'chat', messages })
    expect(res.status).toBe(200)
    const events = text.split('\n\n').filter((e) => e.startsWith('data: '))
    expect(events.at(-1)).toBe(
      `data: ${JSON.stringify({
        error: {
          type: 'server_error',
          message: 'The upstream stream failed after it had started',
          code: 'LLM_ROUTER_ERR_STREAM_INTERRUPTED',
        },
      })}`,
    )
    expect(text).not.toContain('[DONE]')
    // The frames before the drop: a role chunk, then content chunks.
    const delivered = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)))
    expect(delivered).toHaveLength(framesBeforeDrop)
    const partial = delivered.map((c) => c.choices[0]?.delta.content ?? '').join('')

    const [usage] = await router.usageEvents(1)
    const count = await tokenCounter()
    expect(usage).toMatchObject({
      status: 'error',
      errorCode: 'LLM_ROUTER_ERR_STREAM_INTERRUPTED',
      deployment: 'drops',
      attempts: 1,
      stream: true,
      outputTokens: count(partial),
      inputTokens: count(`user\n${messages[0]?.content}\n`),
    })
    expect(router.usage).toHaveLength(1)

    // The official client surfaces the same failure as an error, not as a clean end.
    const stream = await router.openai.chat.completions.create({ model: 'chat', messages, stream: true })
    const failure = await (async () => {
      for await (const _chunk of stream) {
        // drain
      }
    })().catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(OpenAI.APIError)
  })

  test('a client that disconnects mid-stream aborts the upstream call; the usage event says cancelled', async () => {
    const upstream = await fake()
    upstream.setBehavior({ hangAfterChunks: 2 })
    const router = await startRouter({
      models: { chat: { deployments: [deployment('slow', upstream.url)] } },
    })
    const controller = new AbortController()
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...router.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages, stream: true }),
      signal: controller.signal,
    })
    const reader = res.body?.getReader()
    const first = await reader?.read()
    expect(new TextDecoder().decode(first?.value)).toContain('chat.completion.chunk')
    controller.abort()
    await upstream.idle()
    expect(upstream.requests[0]).toMatchObject({ aborted: true, completed: false })
    const [usage] = await router.usageEvents(1)
    expect(usage).toMatchObject({ status: 'cancelled', attempts: 1, stream: true })
  })

  test('a client that disconnects before the first token aborts the upstream call too', async () => {
    const upstream = await fake()
    upstream.setBehavior({ hang: true })
    const router = await startRouter({
      models: { chat: { deployments: [deployment('hangs', upstream.url)] } },
    })
    const controller = new AbortController()
    const pending = router.openai.chat.completions
      .create({ model: 'chat', messages }, { signal: controller.signal })
      .catch((e: unknown) => e)
    await sleep(100)
    controller.abort()
    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError)
    await upstream.idle()
    expect(upstream.requests[0]?.aborted).toBe(true)
    const [usage] = await router.usageEvents(1)
    expect(usage).toMatchObject({ status: 'cancelled', errorCode: 'LLM_ROUTER_ERR_CLIENT_CLOSED' })
  })
})

describe('connection failures and silences', () => {
  test('a deployment that refuses connections is skipped for the next one', async () => {
    const working = await fake()
    const closed = await fake()
    const closedUrl = closed.url
    await closed.close()
    const router = await startRouter({
      models: {
        chat: {
          deployments: [
            deployment('refuses', closedUrl, { timeouts: { connectMs: 500 } }),
            deployment('works', working.url),
          ],
        },
      },
    })
    const { response } = await router.openai.chat.completions
      .create({ model: 'chat', messages })
      .withResponse()
    expect(response.headers.get('x-switchyard-deployment')).toBe('works')
    expect(response.headers.get('x-switchyard-attempts')).toBe('2')
    expect(router.router.health.cooling('refuses')).toBeDefined()
  })

  test('a stream that goes silent past the idle timeout ends with the in-band error', async () => {
    const upstream = await fake()
    upstream.setBehavior({ hangAfterChunks: 2 })
    const idleMs = 150
    const router = await startRouter({
      models: { chat: { deployments: [deployment('stalls', upstream.url, { timeouts: { idleMs } })] } },
    })
    const started = Date.now()
    const { text } = await rawStream(router.url, router.headers, { model: 'chat', messages })
    expect(Date.now() - started).toBeGreaterThanOrEqual(idleMs)
    expect(text).toContain('"code":"LLM_ROUTER_ERR_STREAM_INTERRUPTED"')
    expect(text).not.toContain('[DONE]')
    await upstream.idle()
    expect(upstream.requests[0]?.aborted).toBe(true)
  })
})

test('a 503 with Retry-After is retried on the same deployment no sooner than it says', async () => {
  const upstream = await fake()
  const retryAfterSeconds = 1
  upstream.setBehavior({ status: 503, retryAfterSeconds, failTimes: 1 })
  const router = await startRouter({
    defaults: { retry: { baseDelayMs: 1 } },
    models: { chat: { deployments: [deployment('only', upstream.url)] } },
  })
  const { response } = await router.openai.chat.completions.create({ model: 'chat', messages }).withResponse()
  expect(response.headers.get('x-switchyard-attempts')).toBe('2')
  const [failed, retried] = upstream.requests
  expect((retried?.receivedAt ?? 0) - (failed?.receivedAt ?? 0)).toBeGreaterThanOrEqual(
    retryAfterSeconds * 1000 - 20,
  )
})

test('a deployment at its max concurrency is skipped: the overflow goes to the fallback, or is a 503', async () => {
  const busy = await fake()
  const overflow = await fake()
  busy.setBehavior({ latencyMs: 300 })
  const router = await startRouter({
    models: {
      chat: { deployments: [deployment('busy', busy.url, { maxConcurrency: 1 })], fallbacks: ['overflow'] },
      overflow: { deployments: [deployment('overflow', overflow.url)] },
      alone: { deployments: [deployment('alone', busy.url, { maxConcurrency: 1 })] },
    },
  })
  const [first, second] = await Promise.all([
    router.openai.chat.completions.create({ model: 'chat', messages }).withResponse(),
    router.openai.chat.completions.create({ model: 'chat', messages }).withResponse(),
  ])
  expect(
    [first.response, second.response].map((r) => r.headers.get('x-switchyard-deployment')).sort(),
  ).toEqual(['busy', 'overflow'])
  const results = await Promise.allSettled([
    router.openai.chat.completions.create({ model: 'alone', messages }),
    router.openai.chat.completions.create({ model: 'alone', messages }),
  ])
  const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))
  expect(refused).toHaveLength(1)
  expect(refused[0]).toBeInstanceOf(OpenAI.InternalServerError)
  expect((refused[0] as InstanceType<typeof OpenAI.APIError>).status).toBe(503)
  expect((refused[0] as InstanceType<typeof OpenAI.APIError>).code).toBe('LLM_ROUTER_ERR_UNAVAILABLE')
})
