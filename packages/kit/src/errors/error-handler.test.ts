import { Type } from 'typebox'
import { describe, expect, test } from 'vitest'
import { registerService } from '../register-service.ts'
import { defineService } from '../service-definition.ts'
import { testContext, testServer } from '../test-support.ts'
import { createServiceError } from './errors.ts'

const ConversationNotFound = createServiceError<
  'CHAT_ERR_CONVERSATION_NOT_FOUND',
  [string, { cause: unknown }?]
>('CHAT_ERR_CONVERSATION_NOT_FOUND', 'Conversation %s not found', 404)
const UpstreamDown = createServiceError('CHAT_ERR_UPSTREAM_DOWN', 'Upstream at %s is down', 503)
const TooManyRequests = createServiceError('CHAT_ERR_RATE_LIMITED', 'Too many requests', 429)

const CreateMessage = Type.Object({
  model: Type.String({ minLength: 1 }),
  messages: Type.Array(Type.Object({ role: Type.Union([Type.Literal('user'), Type.Literal('system')]) })),
  n: Type.Optional(Type.Integer({ default: 1 })),
})

const chatService = defineService({
  name: 'chat',
  configSchema: Type.Object({}),
  calls: [],
  needs: [],
  async plugin(app) {
    app.get(
      '/v1/conversations/:id',
      { schema: { params: Type.Object({ id: Type.String() }) } },
      async (request) => {
        throw new ConversationNotFound(request.params.id)
      },
    )
    app.post('/v1/messages', { schema: { body: CreateMessage } }, async (request) => ({
      received: request.body,
    }))
    app.get(
      '/v1/search',
      { schema: { querystring: Type.Object({ limit: Type.Integer({ default: 20 }) }) } },
      async (request) => ({
        limit: request.query.limit,
      }),
    )
    app.get('/boom', async () => {
      throw new Error('password=hunter2 at 10.0.0.3:5432')
    })
    app.get('/refused', async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.3:5432'), { code: 'ECONNREFUSED' })
    })
    app.get('/upstream', async () => {
      throw new UpstreamDown('http://vllm-0.internal:8000')
    })
    app.get('/limited', async () => {
      throw Object.assign(new TooManyRequests(), { headers: { 'retry-after': '7' } })
    })
  },
})

async function chatServer(bodyLimit?: number) {
  const server = await testServer(bodyLimit === undefined ? {} : { bodyLimit })
  await registerService(server.app, chatService, testContext({}))
  return { ...server, headers: await server.asUser() }
}

describe('the one error shape', () => {
  test('an error thrown in an encapsulated service plugin answers its status, type and stable code', async () => {
    const { app, headers } = await chatServer()
    const res = await app.inject({ method: 'GET', url: '/v1/conversations/c_42', headers })
    expect(res.statusCode).toBe(404)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.json()).toEqual({
      error: {
        type: 'invalid_request_error',
        message: 'Conversation c_42 not found',
        code: 'CHAT_ERR_CONVERSATION_NOT_FOUND',
      },
    })
  })

  test('an unknown route is a 404 in the shape, with or without a token', async () => {
    const { app, headers } = await chatServer()
    for (const h of [{}, headers]) {
      const res = await app.inject({ method: 'POST', url: '/v1/nothing-here?x=1', headers: h })
      expect(res.statusCode).toBe(404)
      expect(res.json()).toEqual({
        error: {
          type: 'invalid_request_error',
          message: 'Invalid URL (POST /v1/nothing-here)',
          code: 'KIT_ERR_NOT_FOUND',
        },
      })
    }
  })

  test('a schema-invalid body is a 400 whose message and param name the field', async () => {
    const { app, headers } = await chatServer()
    const cases = [
      { payload: { messages: [] }, param: 'model', message: "Invalid body: 'model' is required" },
      {
        payload: { model: 1, messages: [] },
        param: 'model',
        message: "Invalid body: 'model' must be string",
      },
      {
        payload: { model: 'm', messages: [{ role: 'user' }, { role: 'robot' }] },
        param: 'messages[1].role',
        message: `Invalid body: 'messages[1].role' must be one of "user", "system"`,
      },
    ]
    for (const { payload, param, message } of cases) {
      const res = await app.inject({ method: 'POST', url: '/v1/messages', headers, payload })
      expect(res.statusCode).toBe(400)
      expect(res.json()).toEqual({
        error: { type: 'invalid_request_error', code: 'KIT_ERR_VALIDATION', message, param },
      })
    }
  })

  test('a valid body passes with its defaults filled in; a querystring is converted to its types', async () => {
    const { app, headers } = await chatServer()
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers,
      payload: { model: 'm', messages: [] },
    })
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toEqual({ received: { model: 'm', messages: [], n: 1 } })
    const query = await app.inject({ method: 'GET', url: '/v1/search?limit=5', headers })
    expect(query.json()).toEqual({ limit: 5 })
    const bad = await app.inject({ method: 'GET', url: '/v1/search?limit=many', headers })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error).toMatchObject({ code: 'KIT_ERR_VALIDATION', param: 'limit' })
  })

  test('a body that is not JSON is a 400 in the shape', async () => {
    const { app, headers } = await chatServer()
    const res = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: '{"model": "m", ',
    })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({
      error: {
        type: 'invalid_request_error',
        message: 'The request body is not valid JSON',
        code: 'KIT_ERR_INVALID_JSON',
      },
    })
  })

  test('a body over the limit is a 413 in the shape', async () => {
    const { app, headers } = await chatServer(256)
    const res = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers,
      payload: { model: 'm'.repeat(300), messages: [] },
    })
    expect(res.statusCode).toBe(413)
    expect(res.json()).toEqual({
      error: {
        type: 'invalid_request_error',
        message: 'The request body is larger than the limit of 256 bytes',
        code: 'KIT_ERR_BODY_TOO_LARGE',
      },
    })
  })

  test('a 5xx hides the message and stack, and logs them with the request id', async () => {
    const { app, headers, logLines } = await chatServer()
    const res = await app.inject({
      method: 'GET',
      url: '/boom',
      headers: { ...headers, 'x-request-id': 'req-boom-1' },
    })
    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual({
      error: {
        type: 'server_error',
        message: 'The server had an error while processing your request.',
        code: 'KIT_ERR_INTERNAL',
      },
    })
    expect(res.body).not.toContain('hunter2')
    expect(res.body).not.toContain('at ')
    const logged = logLines.find((line) => line.msg === 'request failed')
    expect(logged).toMatchObject({
      reqId: 'req-boom-1',
      level: 50,
      err: { message: 'password=hunter2 at 10.0.0.3:5432' },
    })
    expect((logged?.err as { stack?: string } | undefined)?.stack).toContain('error-handler.test.ts')
  })

  test('a system error code stays internal; a declared 5xx keeps its stable code but not its message', async () => {
    const { app, headers } = await chatServer()
    const refused = await app.inject({ method: 'GET', url: '/refused', headers })
    expect(refused.statusCode).toBe(500)
    expect(refused.json().error.code).toBe('KIT_ERR_INTERNAL')
    expect(refused.body).not.toContain('10.0.0.3')
    const upstream = await app.inject({ method: 'GET', url: '/upstream', headers })
    expect(upstream.statusCode).toBe(503)
    expect(upstream.json()).toEqual({
      error: {
        type: 'server_error',
        message: 'The server is temporarily unavailable; retry later.',
        code: 'CHAT_ERR_UPSTREAM_DOWN',
      },
    })
    expect(upstream.body).not.toContain('vllm-0')
  })

  test('a 429 is a rate_limit_error and carries the headers the error names', async () => {
    const { app, headers } = await chatServer()
    const res = await app.inject({ method: 'GET', url: '/limited', headers })
    expect(res.statusCode).toBe(429)
    expect(res.headers['retry-after']).toBe('7')
    expect(res.json()).toEqual({
      error: { type: 'rate_limit_error', message: 'Too many requests', code: 'CHAT_ERR_RATE_LIMITED' },
    })
  })
})

describe('createServiceError', () => {
  test('refuses a code outside <SERVICE>_ERR_<WHAT> and a non-error status', () => {
    expect(() => createServiceError('NotFound', 'x', 404)).toThrow(TypeError)
    expect(() => createServiceError('CHAT_ERR_OK', 'x', 200)).toThrow(RangeError)
  })

  test('keeps @fastify/error behaviour: formatted message, status, cause and instanceof', () => {
    const cause = new Error('root')
    const error = new ConversationNotFound('c_1', { cause })
    expect(error).toBeInstanceOf(ConversationNotFound)
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({
      code: 'CHAT_ERR_CONVERSATION_NOT_FOUND',
      statusCode: 404,
      type: 'invalid_request_error',
    })
    expect(error.message).toBe('Conversation c_1 not found')
    expect(error.cause).toBe(cause)
  })
})
