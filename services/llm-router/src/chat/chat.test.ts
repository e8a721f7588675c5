import { countPromptTokens, countTokens, defaultReply, startFakeOpenAI } from '@switchyard/testing'
import OpenAI from 'openai'
import { describe, expect, onTestFinished, test } from 'vitest'
import { errorBody, oneModel, startRouter } from '../router-under-test.ts'

async function openaiUpstream() {
  const upstream = await startFakeOpenAI({ models: ['upstream-chat'] })
  onTestFinished(() => upstream.close())
  const router = await startRouter(
    oneModel('chat-model', { provider: 'openai', baseUrl: upstream.url, model: 'upstream-chat' }),
  )
  return { upstream, router }
}

const question = 'what is the capital of France'
const messages = [{ role: 'user' as const, content: question }]
const reply = defaultReply({ model: 'upstream-chat', messages, lastUserText: question })

describe('POST /v1/chat/completions through an OpenAI-compatible upstream', () => {
  test('a non-streamed completion comes back under the alias, with the upstream usage and routing headers', async () => {
    const { upstream, router } = await openaiUpstream()
    const { data, response } = await router.openai.chat.completions
      .create({ model: 'chat-model', messages })
      .withResponse()
    expect(data.model).toBe('chat-model')
    expect(data.choices[0]?.message.content).toBe(reply)
    const prompt = countPromptTokens(messages)
    expect(data.usage).toMatchObject({
      prompt_tokens: prompt,
      completion_tokens: countTokens(reply),
      total_tokens: prompt + countTokens(reply),
    })
    expect(response.headers.get('x-switchyard-deployment')).toBe('chat-model-1')
    expect(response.headers.get('x-switchyard-attempts')).toBe('1')
    // The upstream was asked for its own model name, not the alias.
    expect(upstream.requests[0]?.body).toMatchObject({ model: 'upstream-chat' })
  })

  test('a stream without include_usage ends with [DONE] and carries no usage chunk', async () => {
    const { upstream, router } = await openaiUpstream()
    const stream = await router.openai.chat.completions.create({
      model: 'chat-model',
      messages,
      stream: true,
    })
    let text = ''
    const chunks = []
    for await (const chunk of stream) {
      chunks.push(chunk)
      text += chunk.choices[0]?.delta.content ?? ''
    }
    expect(text).toBe(reply)
    expect(chunks.every((c) => c.model === 'chat-model')).toBe(true)
    expect(chunks.some((c) => c.choices.length === 0 || (c.usage ?? null) !== null)).toBe(false)
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop')
    // The router asked the upstream for usage anyway: it bills from it.
    expect(upstream.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    })
    const raw = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...router.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat-model', messages, stream: true }),
    })
    const body = await raw.text()
    expect(raw.headers.get('content-type')).toMatch(/^text\/event-stream/)
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true)
    expect(body).not.toContain('"usage":{')
  })

  test('a stream with include_usage gets exactly one usage chunk, last before [DONE]', async () => {
    const { router } = await openaiUpstream()
    const stream = await router.openai.chat.completions.create({
      model: 'chat-model',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    })
    const chunks = []
    for await (const chunk of stream) chunks.push(chunk)
    const withUsage = chunks.filter((c) => c.usage)
    expect(withUsage).toHaveLength(1)
    const last = chunks.at(-1)
    expect(last?.choices).toEqual([])
    const prompt = countPromptTokens(messages)
    const completion = countTokens(reply)
    expect(last?.usage).toEqual({
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
    })
  })

  test('tools: the model calls the requested function, in one answer and streamed', async () => {
    const { router } = await openaiUpstream()
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ]
    const tool_choice = { type: 'function' as const, function: { name: 'get_weather' } }
    const whole = await router.openai.chat.completions.create({
      model: 'chat-model',
      messages,
      tools,
      tool_choice,
    })
    const call = whole.choices[0]?.message.tool_calls?.[0]
    expect(whole.choices[0]?.finish_reason).toBe('tool_calls')
    expect(call?.type === 'function' && call.function.name).toBe('get_weather')
    const args = call?.type === 'function' ? JSON.parse(call.function.arguments) : undefined
    expect(typeof args.city).toBe('string')

    const stream = router.openai.chat.completions.stream({
      model: 'chat-model',
      messages,
      tools,
      tool_choice,
    })
    const final = await stream.finalChatCompletion()
    const streamed = final.choices[0]?.message.tool_calls?.[0]
    expect(streamed?.type === 'function' && JSON.parse(streamed.function.arguments)).toEqual(args)
  })

  test('JSON mode and a JSON schema are passed through and answered as JSON', async () => {
    const { upstream, router } = await openaiUpstream()
    const object = await router.openai.chat.completions.create({
      model: 'chat-model',
      messages,
      response_format: { type: 'json_object' },
    })
    expect(JSON.parse(object.choices[0]?.message.content ?? '')).toEqual({ reply: reply })
    const schema = {
      type: 'object',
      properties: { answer: { type: 'string' }, confidence: { type: 'number' } },
      required: ['answer', 'confidence'],
    }
    const shaped = await router.openai.chat.completions.create({
      model: 'chat-model',
      messages,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema } },
    })
    const parsed = JSON.parse(shaped.choices[0]?.message.content ?? '')
    expect(typeof parsed.answer).toBe('string')
    expect(typeof parsed.confidence).toBe('number')
    expect(upstream.requests[1]?.body).toMatchObject({ response_format: { type: 'json_schema' } })
  })
})

describe('errors in the OpenAI shape', () => {
  test('an unknown model is a 404 with a stable code, and no upstream is called', async () => {
    const { upstream, router } = await openaiUpstream()
    const error = await router.openai.chat.completions
      .create({ model: 'no-such-model', messages })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.NotFoundError)
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('LLM_ROUTER_ERR_MODEL_NOT_FOUND')
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).param).toBe('model')
    expect(upstream.requests).toHaveLength(0)
  })

  test('a bad body is a 400 naming the field', async () => {
    const { router } = await openaiUpstream()
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...router.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat-model', messages: [{ role: 'narrator', content: 'x' }] }),
    })
    expect(res.status).toBe(400)
    const body = await errorBody(res)
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'KIT_ERR_VALIDATION' })
    expect(body.error.param).toMatch(/^messages\[0\]/)
  })

  test('no internal token is a 401', async () => {
    const { router } = await openaiUpstream()
    const anonymous = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'not-a-token', maxRetries: 0 })
    const error = await anonymous.chat.completions
      .create({ model: 'chat-model', messages })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError)
    const res = await fetch(`${router.url}/v1/models`)
    expect(res.status).toBe(401)
    expect((await errorBody(res)).error.code).toBe('KIT_ERR_UNAUTHENTICATED')
  })

  test('an upstream 400 is the caller’s: answered 400 with its message, not retried', async () => {
    const { upstream, router } = await openaiUpstream()
    upstream.setBehavior({ status: 400, message: 'temperature is not supported by this model' })
    const error = await router.openai.chat.completions
      .create({ model: 'chat-model', messages })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as Error).message).toContain('temperature is not supported by this model')
    expect(upstream.requests).toHaveLength(1)
  })
})
