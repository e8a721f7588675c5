import Fastify from 'fastify'
import { expect, onTestFinished, test } from 'vitest'
import { createInProcessFetch } from './in-process-fetch.ts'

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

/** Two services at their internal origins; `agent.internal` is internal but runs nowhere. */
async function mesh() {
  const apps = new Map([
    ['chat.internal', await app('chat')],
    ['rag.internal', await app('rag')],
  ])
  const internal = new Set([...apps.keys(), 'agent.internal'])
  return createInProcessFetch(
    (host) => apps.get(host),
    (host) => internal.has(host),
  )
}

test('a request to an internal origin reaches that service in-process, with method, body, query and headers', async () => {
  const f = await mesh()
  for (const service of ['chat', 'rag']) {
    const res = await f(`http://${service}.internal/echo?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer internal' },
      body: JSON.stringify({ hello: 'world' }),
    })
    expect(res.status).toBe(201)
    expect(res.headers.get('x-seen-host')).toBe(`${service}.internal`)
    expect(await res.json()).toEqual({
      service,
      body: { hello: 'world' },
      query: { x: '1' },
      auth: 'Bearer internal',
    })
  }
})

test('a streamed response arrives chunk by chunk, before the handler ends it', async () => {
  const f = await mesh()
  const res = await f('http://chat.internal/events')
  expect(res.headers.get('content-type')).toBe('text/event-stream')
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  const first = await reader.read()
  expect(new TextDecoder().decode(first.value)).toBe('data: one\n\n')
  let rest = ''
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
    rest += new TextDecoder().decode(chunk.value)
  expect(rest).toBe('data: two\n\n')
})

test('a 204 has no body, and another origin goes out over the network', async () => {
  const f = await mesh()
  const deleted = await f('http://rag.internal/thing', { method: 'DELETE' })
  expect(deleted.status).toBe(204)
  expect(deleted.body).toBeNull()
  // Nothing listens on this port: the request left the process instead of hitting an app.
  await expect(f('http://127.0.0.1:9/echo', { method: 'POST' })).rejects.toThrow('fetch failed')
})

test('a service that does not run in this process is a refused connection, not a network request', async () => {
  const f = await mesh()
  const error = await f('http://agent.internal/v1/agents').then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(TypeError)
  expect((error as TypeError).message).toBe('fetch failed')
  expect(((error as TypeError).cause as { code?: string }).code).toBe('ECONNREFUSED')
})

test('a caller that cancels a streamed body closes the service response, as a dropped connection would', async () => {
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
  const f = createInProcessFetch(
    (host) => (host === 'llm-router.internal' ? server : undefined),
    () => false,
  )
  const res = await f('http://llm-router.internal/tokens')
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  await reader.read()
  await reader.cancel()
  await expect.poll(() => closedByCaller, { timeout: 2_000 }).toBe(true)
})
