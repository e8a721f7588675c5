import Fastify from 'fastify'
import { expect, onTestFinished, test } from 'vitest'
import { createInProcessFetch } from './in-process-fetch.ts'

async function app() {
  const server = Fastify()
  server.post('/echo', async (request, reply) => {
    reply.header('x-seen-host', request.headers.host).code(201)
    return { body: request.body, query: request.query, auth: request.headers.authorization }
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

test('a request to the shared origin reaches the route in-process, with method, body, query and headers', async () => {
  const f = createInProcessFetch(await app(), () => 'http://127.0.0.1:8080')
  const res = await f('http://127.0.0.1:8080/echo?x=1', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer internal' },
    body: JSON.stringify({ hello: 'world' }),
  })
  expect(res.status).toBe(201)
  expect(res.headers.get('x-seen-host')).toBe('127.0.0.1:8080')
  expect(await res.json()).toEqual({ body: { hello: 'world' }, query: { x: '1' }, auth: 'Bearer internal' })
})

test('a streamed response arrives chunk by chunk, before the handler ends it', async () => {
  const f = createInProcessFetch(await app(), () => 'http://127.0.0.1:8080')
  const res = await f('http://127.0.0.1:8080/events')
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
  const f = createInProcessFetch(await app(), () => 'http://127.0.0.1:8080')
  const deleted = await f('http://127.0.0.1:8080/thing', { method: 'DELETE' })
  expect(deleted.status).toBe(204)
  expect(deleted.body).toBeNull()
  // Nothing listens on this port: the request left the process instead of hitting the app.
  await expect(f('http://127.0.0.1:9/echo', { method: 'POST' })).rejects.toThrow('fetch failed')
})
