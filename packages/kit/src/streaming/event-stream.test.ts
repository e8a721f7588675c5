import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, test, vi } from 'vitest'
import type { KitServer } from '../server/create-server.ts'
import { testServer } from '../test-support.ts'
import { openEventStream, type StreamStopReason } from './event-stream.ts'

/** Reads an SSE body as text chunks until it ends; resolves with everything and how it ended. */
async function readAll(body: ReadableStream<Uint8Array>, onChunk: (text: string) => void = () => {}) {
  const decoder = new TextDecoder()
  let text = ''
  try {
    for await (const chunk of body) {
      const piece = decoder.decode(chunk, { stream: true })
      text += piece
      onChunk(text)
    }
    return { text, ended: 'clean' as const }
  } catch (error) {
    return { text, ended: 'error' as const, error }
  }
}

/**
 * A token-streaming route in the style of a chat completion. `obeys`: it stops when told to.
 * `finishAfter`: once stopped, it waits for this before sending its last events, so a test can
 * hold the drain open while it checks what happens during it.
 */
function addTicker(
  app: KitServer,
  obeys: boolean,
  { stops = [], finishAfter }: { stops?: StreamStopReason[]; finishAfter?: Promise<void> } = {},
) {
  app.get('/v1/stream', { config: { public: true } }, async (request, reply) => {
    const stream = openEventStream(request, reply, { keepAliveMs: 60_000 })
    let n = 0
    while (obeys ? !stream.signal.aborted : !stream.closed) {
      stream.send({ event: 'token', data: { n: n++ } })
      await sleep(10)
    }
    if (stream.stopReason) stops.push(stream.stopReason)
    await finishAfter
    stream.send({ event: 'done', data: { reason: stream.stopReason, sent: n } })
    stream.send({ data: '[DONE]' })
    stream.close()
    return reply
  })
}

describe('event streams and shutdown', () => {
  test('close() lets an open stream send its final event and end cleanly, then resolves', async () => {
    const { app } = await testServer({ shutdownGraceMs: 5_000 })
    // The late request below must meet the drain: once the stream ends, the listener closes and
    // a connection still in its backlog is reset, so the stream finishes only after that answer.
    let lateAnswered!: () => void
    addTicker(app, true, {
      finishAfter: new Promise<void>((resolve) => {
        lateAnswered = resolve
      }),
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`

    const res = await fetch(`${origin}/v1/stream`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(res.headers.get('x-request-id')).toBeTruthy()
    let sawTokens!: () => void
    const tokensArrived = new Promise<void>((resolve) => {
      sawTokens = resolve
    })
    const reading = readAll(res.body as ReadableStream<Uint8Array>, (text) => {
      if (text.includes('"n":2')) sawTokens()
    })
    await tokensArrived

    const started = Date.now()
    const closing = app.close()
    // While it drains, new requests are turned away in the error shape.
    const late = await fetch(`${origin}/healthz`)
    expect(late.status).toBe(503)
    expect(late.headers.get('connection')).toBe('close')
    expect(await late.json()).toMatchObject({
      error: { type: 'server_error', code: 'KIT_ERR_SHUTTING_DOWN' },
    })
    lateAnswered()

    const { text, ended } = await reading
    expect(ended).toBe('clean')
    expect(text).toMatch(/event: done\ndata: \{"reason":"shutdown","sent":\d+\}\n\n/)
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true)
    await closing
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  test('a stream that ignores the signal is destroyed after the grace period, and close() still resolves', async () => {
    const { app } = await testServer({ shutdownGraceMs: 300 })
    addTicker(app, false)
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as { port: number }
    const res = await fetch(`http://127.0.0.1:${port}/v1/stream`)
    const reading = readAll(res.body as ReadableStream<Uint8Array>)
    await sleep(50)

    const started = Date.now()
    await app.close()
    const elapsed = Date.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(250)
    expect(elapsed).toBeLessThan(2_000)
    const { text, ended } = await reading
    expect(ended).toBe('error')
    expect(text).toContain('event: token')
    expect(text).not.toContain('[DONE]')
  })

  test('a client that goes away aborts the signal with reason disconnect', async () => {
    const { app } = await testServer()
    const stops: StreamStopReason[] = []
    addTicker(app, true, { stops })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as { port: number }
    const controller = new AbortController()
    const res = await fetch(`http://127.0.0.1:${port}/v1/stream`, { signal: controller.signal })
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    controller.abort()
    await expect.poll(() => stops).toEqual(['disconnect'])
  })

  test('events are framed as SSE: JSON data, strings verbatim, one data line per line', async () => {
    const { app } = await testServer()
    app.get('/frames', { config: { public: true } }, async (request, reply) => {
      const stream = openEventStream(request, reply)
      stream.send({ data: { choices: [{ delta: { content: 'Hi' } }] } })
      stream.send({ event: 'note', id: '7', retry: 1500, data: 'two\nlines' })
      expect(() => stream.send({ event: 'bad\nname', data: 'x' })).toThrow(TypeError)
      stream.send({ data: '[DONE]' })
      stream.close()
      stream.send({ data: 'after close is dropped' })
      return reply
    })
    const res = await app.inject({ method: 'GET', url: '/frames' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-cache, no-transform')
    expect(res.body).toBe(
      ': open\n\n' +
        'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n' +
        'id: 7\nevent: note\nretry: 1500\ndata: two\ndata: lines\n\n' +
        'data: [DONE]\n\n',
    )
  })

  test('an error thrown after the stream opened arrives as a last event in the error shape', async () => {
    const { app } = await testServer()
    app.get('/fails', { config: { public: true } }, async (request, reply) => {
      const stream = openEventStream(request, reply)
      stream.send({ data: { n: 1 } })
      await sleep(5)
      throw new Error('upstream exploded with secret detail')
    })
    const res = await app.inject({ method: 'GET', url: '/fails' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('data: {"n":1}\n\n')
    expect(res.body).toContain(
      'data: {"error":{"type":"server_error","message":"The server had an error while processing your request.","code":"KIT_ERR_INTERNAL"}}\n\n',
    )
    expect(res.body).not.toContain('secret detail')
  })

  test('openEventStream refuses a server the kit did not make', async () => {
    const { default: Fastify } = await import('fastify')
    const plain = Fastify()
    plain.get('/s', async (request, reply) => {
      openEventStream(request, reply)
    })
    const res = await plain.inject({ method: 'GET', url: '/s' })
    expect(res.statusCode).toBe(500)
    expect(res.json().message).toBe('openEventStream needs a server made by createServer')
    await plain.close()
  })
})

test('a stream the route ended is not a client that left, in process too (inject never flushes)', async () => {
  const { app } = await testServer()
  let seen: { reason: StreamStopReason | null; aborted: boolean } | undefined
  app.get('/v1/once', { config: { public: true } }, async (request, reply) => {
    const stream = openEventStream(request, reply)
    stream.send({ data: '[DONE]' })
    stream.close()
    // After the stream's own 'close' handler: what it concluded.
    reply.raw.once('close', () => {
      seen = { reason: stream.stopReason, aborted: stream.signal.aborted }
    })
    return reply
  })
  const res = await app.inject({ method: 'GET', url: '/v1/once' })
  expect(res.body).toContain('[DONE]')
  await vi.waitFor(() => expect(seen).toBeDefined())
  expect(seen).toEqual({ reason: null, aborted: false })
})
