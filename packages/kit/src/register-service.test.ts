import { Type } from 'typebox'
import { expect, test } from 'vitest'
import { registerService } from './register-service.ts'
import { defineService } from './service-definition.ts'
import { testContext, testServer } from './test-support.ts'

const Config = Type.Object({ CHAT_GREETING: Type.String() })

const chat = defineService({
  name: 'chat',
  configSchema: Config,
  calls: ['llm-router'],
  needs: [],
  async plugin(app, context) {
    // Scoped to this service: rag's responses must not get it.
    app.addHook('onSend', async (_request, reply) => {
      reply.header('x-served-by', 'chat')
    })
    app.get(
      '/v1/greeting',
      { schema: { response: { 200: Type.Object({ greeting: Type.String() }) } } },
      async () => ({
        greeting: context.config.CHAT_GREETING,
      }),
    )
  },
})

const rag = defineService({
  name: 'rag',
  configSchema: Type.Object({}),
  calls: [],
  needs: [],
  async plugin(app) {
    app.get('/v1/collections', { schema: { tags: ['collections'] } }, async () => [])
    app.setErrorHandler(async (_error, _request, reply) => reply.code(418).send({ own: true }))
    app.get('/v1/rag-boom', async () => {
      throw new Error('rag handles its own')
    })
  },
})

test('each service gets its context as options and stays encapsulated', async () => {
  const { app, asUser } = await testServer({ name: 'switchyard' })
  await registerService(app, chat, testContext({ CHAT_GREETING: 'hello' }))
  await registerService(app, rag, testContext({}))
  const headers = await asUser()

  const greeting = await app.inject({ method: 'GET', url: '/v1/greeting', headers })
  expect(greeting.json()).toEqual({ greeting: 'hello' })
  expect(greeting.headers['x-served-by']).toBe('chat')

  const collections = await app.inject({ method: 'GET', url: '/v1/collections', headers })
  expect(collections.statusCode).toBe(200)
  expect(collections.headers['x-served-by']).toBeUndefined()

  // A service's own error handler wins inside it; the kit's still guards the others and auth.
  expect((await app.inject({ method: 'GET', url: '/v1/rag-boom', headers })).statusCode).toBe(418)
  expect((await app.inject({ method: 'GET', url: '/v1/greeting' })).json().error.code).toBe(
    'KIT_ERR_UNAUTHENTICATED',
  )
})

test('service routes are tagged with the service name in the OpenAPI document', async () => {
  const { app } = await testServer({ name: 'switchyard' })
  await registerService(app, chat, testContext({ CHAT_GREETING: 'hi' }))
  await registerService(app, rag, testContext({}))
  const openapi = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
  expect(openapi.info.title).toBe('Switchyard switchyard')
  expect(openapi.paths['/v1/greeting'].get.tags).toEqual(['chat'])
  // A route that names its own tags keeps them.
  expect(openapi.paths['/v1/collections'].get.tags).toEqual(['collections'])
  expect(openapi.paths['/v1/rag-boom'].get.tags).toEqual(['rag'])
  expect(openapi.paths['/v1/greeting'].get.security).toBeUndefined()
})
