import { fetchOver, type ServiceName } from '@switchyard/contracts'
import Fastify from 'fastify'
import { fetch as undiciFetch } from 'undici'
import { expect, onTestFinished, test } from 'vitest'
import { createPeerDispatcher, InProcessDispatcher, UndeclaredCallError } from './transport.ts'

async function app(name: string) {
  const server = Fastify()
  server.post('/echo', async (request, reply) => {
    reply.header('x-seen-host', request.headers.host).code(201)
    return { service: name, body: request.body, query: request.query, auth: request.headers.authorization }
  })
  server.get('/events', (_request, reply) => {
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream' })
    reply.raw.write('data: one\n\n')
    setTimeout(() => reply.raw.end('data: two\n\n'), 50)
  })
  server.delete('/thing', async (_request, reply) => reply.code(204).send())
  onTestFinished(() => server.close())
  await server.ready()
  return server
}

/** Two services at their internal origins; any other host (`agent.internal`) runs nowhere here. */
async function mesh() {
  const apps = new Map([
    ['chat.internal', await app('chat')],
    ['rag.internal', await app('rag')],
  ])
  return new InProcessDispatcher((host) => apps.get(host))
}

test('a request to an internal origin reaches that service in-process, with method, body, query and headers', async () => {
  const dispatcher = await mesh()
  for (const service of ['chat', 'rag']) {
    const res = await dispatcher.request({
      origin: `http://${service}.internal`,
      path: '/echo?x=1',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer internal' },
      body: JSON.stringify({ hello: 'world' }),
    })
    expect(res.statusCode).toBe(201)
    expect(res.headers['x-seen-host']).toBe(`${service}.internal`)
    expect(await res.body.json()).toEqual({
      service,
      body: { hello: 'world' },
      query: { x: '1' },
      auth: 'Bearer internal',
    })
  }
})

test("undici's fetch runs over it, request body streamed in and response streamed out", async () => {
  const dispatcher = await mesh()
  const posted = await undiciFetch('http://chat.internal/echo', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: new Blob([JSON.stringify({ streamed: true })]).stream(),
    duplex: 'half',
    dispatcher,
  })
  expect(posted.status).toBe(201)
  expect(((await posted.json()) as { body: unknown }).body).toEqual({ streamed: true })
  const res = await undiciFetch('http://chat.internal/events', { dispatcher })
  expect(res.headers.get('content-type')).toBe('text/event-stream')
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  const first = await reader.read()
  expect(new TextDecoder().decode(first.value)).toBe('data: one\n\n')
  let rest = ''
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
    rest += new TextDecoder().decode(chunk.value)
  expect(rest).toBe('data: two\n\n')
})

test('a 204 has no body', async () => {
  const dispatcher = await mesh()
  const deleted = await dispatcher.request({
    origin: 'http://rag.internal',
    path: '/thing',
    method: 'DELETE',
  })
  expect(deleted.statusCode).toBe(204)
  expect(await deleted.body.text()).toBe('')
})

test('a service that does not run in this process is a refused connection, not a network request', async () => {
  const dispatcher = await mesh()
  const error = await dispatcher
    .request({ origin: 'http://agent.internal', path: '/v1/agents', method: 'GET' })
    .then(
      () => null,
      (e: unknown) => e,
    )
  expect((error as { code?: string }).code).toBe('ECONNREFUSED')
})

/**
 * A service whose GET /tokens streams an event every 10 ms until its response closes;
 * `closedByCaller()` turns true when it closed before the service ended it.
 */
async function tickingServer() {
  const server = Fastify()
  let closedByCaller = false
  server.get('/tokens', (_request, reply) => {
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream' })
    const ticker = setInterval(() => reply.raw.write('data: token\n\n'), 10)
    reply.raw.on('close', () => {
      clearInterval(ticker)
      closedByCaller = !reply.raw.writableEnded
    })
  })
  onTestFinished(() => server.close())
  await server.ready()
  return { server, closedByCaller: () => closedByCaller }
}

test('a caller that drops a streamed body closes the service response, as a dropped connection would', async () => {
  const { server, closedByCaller } = await tickingServer()
  const dispatcher = new InProcessDispatcher((host) => (host === 'llm-router.internal' ? server : undefined))
  const res = await dispatcher.request({
    origin: 'http://llm-router.internal',
    path: '/tokens',
    method: 'GET',
  })
  await new Promise((resolve) => res.body.once('data', resolve))
  res.body.destroy()
  await expect.poll(closedByCaller, { timeout: 2_000 }).toBe(true)
})

test("a caller's abort signal closes the service response too", async () => {
  const { server, closedByCaller } = await tickingServer()
  const dispatcher = new InProcessDispatcher(() => server)
  const controller = new AbortController()
  const res = await undiciFetch('http://llm-router.internal/tokens', {
    dispatcher,
    signal: controller.signal,
  })
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  await reader.read()
  controller.abort()
  await expect(reader.read()).rejects.toThrow()
  await expect.poll(closedByCaller, { timeout: 2_000 }).toBe(true)
})

test("a fetch over it (the openai client's) streams the answer, and a cancelled body closes the service response", async () => {
  const { server, closedByCaller } = await tickingServer()
  const fetch = fetchOver(new InProcessDispatcher(() => server))
  const res = await fetch('http://llm-router.internal/tokens')
  expect(res.headers.get('content-type')).toBe('text/event-stream')
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  expect(new TextDecoder().decode((await reader.read()).value)).toContain('data: token')
  await reader.cancel()
  await expect.poll(closedByCaller, { timeout: 2_000 }).toBe(true)
})

const urls = Object.fromEntries(
  (['gateway', 'llm-router', 'chat', 'agent', 'rag', 'admin'] as const).map((name) => [
    name,
    `http://${name}.internal`,
  ]),
) as Record<ServiceName, string>

async function chatCallingAdmin() {
  const server = Fastify()
  server.get('/ping', async () => ({ pong: true }))
  onTestFinished(() => server.close())
  await server.ready()
  // Every service answers here: only the caller's `calls` decide what it may reach.
  const transport = new InProcessDispatcher(() => server)
  return createPeerDispatcher({ transport, caller: 'chat', calls: ['admin'], urls })
}

test('a service reaches a service it lists in calls', async () => {
  const dispatcher = await chatCallingAdmin()
  const res = await dispatcher.request({ origin: urls.admin, path: '/ping', method: 'GET' })
  expect(await res.body.json()).toEqual({ pong: true })
})

test('a call to a service not in calls fails before it is sent, naming the fix', async () => {
  const dispatcher = await chatCallingAdmin()
  const error = await dispatcher.request({ origin: urls.rag, path: '/ping', method: 'GET' }).then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UndeclaredCallError)
  expect((error as Error).message).toBe(
    "chat called rag, which its definition does not list in calls: add 'rag' to calls",
  )
})

test('an origin that is no service is refused too: the dispatcher reaches peers only', async () => {
  const dispatcher = await chatCallingAdmin()
  await expect(
    dispatcher.request({ origin: 'http://example.com', path: '/', method: 'GET' }),
  ).rejects.toThrow(
    'chat called http://example.com, which is no service: ctx.dispatcher reaches only the services in its calls',
  )
})

test('a path with dot segments is refused, not resolved to another route as the URL parser would', async () => {
  const dispatcher = await mesh()
  for (const path of ['/x/../echo', '/x/%2E%2e/echo', '/./echo', '/x\\..\\echo']) {
    await expect(
      dispatcher.request({ origin: 'http://chat.internal', path, method: 'POST' }),
    ).rejects.toThrow(/dot segments/)
  }
})
