import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Agent } from 'undici'
import { expect, onTestFinished, test } from 'vitest'
import { type ExchangeRequest, exchangeStream, exchangeText } from './exchange.ts'

async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const agent = new Agent({ pipelining: 1 })
  onTestFinished(async () => {
    await agent.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const request = (body: string | null = null): ExchangeRequest => ({
    origin,
    path: '/x',
    method: body === null ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  })
  return { agent, request }
}

test('a whole answer arrives as text, a character split across chunks included', async () => {
  const text = 'héllo wörld, ünïcode ✓'
  const bytes = Buffer.from(text)
  const { agent, request } = await serve((_req, res) => {
    res.writeHead(201, { 'x-upstream': 'yes' })
    // Cut inside the two bytes of "é".
    res.write(bytes.subarray(0, 2))
    setTimeout(() => res.end(bytes.subarray(2)), 5)
  })
  const answer = await exchangeText(agent, request('{}'), new AbortController().signal)
  expect(answer.statusCode).toBe(201)
  expect(answer.headers['x-upstream']).toBe('yes')
  expect(answer.text).toBe(text)
})

test('an abort before the answer rejects with the signal’s reason and cuts the connection', async () => {
  let closed: () => void = () => {}
  const upstreamSawClose = new Promise<void>((resolve) => {
    closed = resolve
  })
  const { agent, request } = await serve((req) => {
    req.socket.once('close', closed)
  })
  const controller = new AbortController()
  const answer = exchangeText(agent, request('{}'), controller.signal)
  setTimeout(() => controller.abort(new Error('too slow')), 20)
  await expect(answer).rejects.toThrow('too slow')
  await upstreamSawClose
})

test('a streamed body read slowly arrives whole and in order', async () => {
  const parts = Array.from({ length: 2_000 }, (_, i) => `part ${i} ${'x'.repeat(2_000)}\n`)
  const { agent, request } = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    for (const part of parts) res.write(part)
    res.end()
  })
  const { statusCode, body } = await exchangeStream(agent, request('{}'), new AbortController().signal)
  expect(statusCode).toBe(200)
  let received = ''
  for await (const chunk of body) {
    received += chunk.toString()
    // A slow reader: the upstream pauses rather than piling chunks up in memory.
    await new Promise((resolve) => setImmediate(resolve))
  }
  expect(received).toBe(parts.join(''))
})

test('a reader that stops early aborts the exchange', async () => {
  let closed: () => void = () => {}
  const upstreamSawClose = new Promise<void>((resolve) => {
    closed = resolve
  })
  const { agent, request } = await serve((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('first\n')
    req.socket.once('close', closed)
    // Never ends on its own.
  })
  const { body } = await exchangeStream(agent, request('{}'), new AbortController().signal)
  for await (const chunk of body) {
    expect(chunk.toString()).toBe('first\n')
    break
  }
  await upstreamSawClose
})

test('a connection refused rejects before any answer', async () => {
  const agent = new Agent()
  onTestFinished(() => agent.close())
  const request: ExchangeRequest = {
    origin: 'http://127.0.0.1:1',
    path: '/',
    method: 'GET',
    headers: {},
    body: null,
  }
  await expect(exchangeText(agent, request, new AbortController().signal)).rejects.toMatchObject({
    code: 'ECONNREFUSED',
  })
})
