import type { ServerResponse } from 'node:http'
import { jsonBody } from '@switchyard/testing'
import { describe, expect, test } from 'vitest'
import { startGateway, startGatewayOverHttp, withKey } from '../gateway-under-test.ts'
import { routeTable } from './route-table.ts'

/** A request path under each table entry, and the service it must reach. */
const samples = routeTable
  .filter((entry) => entry.service !== null)
  .map((entry) => ({
    path: entry.subtree ? `${entry.path}/item_1/part?limit=2&q=a%20b` : `${entry.path}?x=1`,
    service: entry.service,
  }))

describe('the route table', () => {
  test('every public path reaches its service with method, path, query and body unchanged', async () => {
    const gateway = await startGateway()
    const caller = withKey(gateway)
    // The agent does not run here; the rest are stand-ins.
    for (const { path, service } of samples.filter((s) => s.service !== 'agent')) {
      const sent = `{"raw":  "bytes as sent", "path": "${path}"}`
      const res = await fetch(`${gateway.url}${path}`, {
        method: 'POST',
        headers: { ...caller.headers, 'content-type': 'application/json' },
        body: sent,
      })
      expect(res.status, path).toBe(200)
      expect(await jsonBody(res)).toEqual({ service, method: 'POST', url: path, body: sent })
      expect(res.headers.get('x-served-by')).toBe(service)
    }
  })

  test('the caller credentials never reach a service: an internal token with the caller identity does', async () => {
    const gateway = await startGateway()
    const caller = withKey(gateway, { orgId: 'org_zeta', scopes: ['chat:write', 'rag:read'] })
    await fetch(`${gateway.url}/v1/conversations`, { headers: caller.headers })
    const received = gateway.standIns.chat?.received.at(-1)
    expect(received?.headers.authorization).not.toContain(caller.key)
    expect(received?.identity).toEqual({
      orgId: 'org_zeta',
      userId: caller.resolution.userId,
      keyId: caller.resolution.keyId,
      scopes: ['chat:write', 'rag:read'],
    })
  })

  test('an unknown path is a 404 in the error shape, and internal routes are not public', async () => {
    const gateway = await startGateway()
    const caller = withKey(gateway)
    for (const path of ['/v2/chat/completions', '/admin/v1/internal/keys/resolve', '/admin/v1/internal']) {
      const res = await fetch(`${gateway.url}${path}`, { method: 'POST', headers: caller.headers })
      expect(res.status, path).toBe(404)
      expect((await jsonBody(res)).error).toMatchObject({
        type: 'invalid_request_error',
        code: 'KIT_ERR_NOT_FOUND',
      })
    }
    // Nothing reached admin: not even a key lookup (unknown paths are refused before the caller is checked).
    expect(gateway.standIns.admin?.received).toEqual([])
  })

  test('a service that does not run answers 503 in the error shape', async () => {
    const gateway = await startGateway()
    const caller = withKey(gateway)
    for (const path of ['/v1/agents', '/v1/runs/run_1']) {
      const res = await fetch(`${gateway.url}${path}`, { headers: caller.headers })
      expect(res.status).toBe(503)
      expect(await jsonBody(res)).toEqual({
        error: {
          type: 'server_error',
          message: 'The server is temporarily unavailable; retry later.',
          code: 'GATEWAY_ERR_SERVICE_UNAVAILABLE',
        },
      })
    }
  })

  test("a service's own answers pass through: status, headers and error bodies as it sent them", async () => {
    const gateway = await startGateway()
    const caller = withKey(gateway)
    const body =
      '{"error":{"type":"not_found_error","message":"Model x not found","code":"LLM_ROUTER_ERR_MODEL_NOT_FOUND"}}'
    gateway.standIns['llm-router']?.answer((_request, res) => {
      res.writeHead(404, { 'content-type': 'application/json', 'x-switchyard-attempts': '0' }).end(body)
    })
    const res = await fetch(`${gateway.url}/v1/models/x`, { headers: caller.headers })
    expect(res.status).toBe(404)
    expect(res.headers.get('x-switchyard-attempts')).toBe('0')
    expect(await res.text()).toBe(body)
  })
})

describe('request ids and trace context', () => {
  test("the caller's x-request-id and traceparent reach the service; the id comes back", async () => {
    const gateway = await startGateway()
    const caller = withKey(gateway)
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const res = await fetch(`${gateway.url}/v1/models`, {
      headers: { ...caller.headers, 'x-request-id': 'req-from-client', traceparent, tracestate: 'vendor=1' },
    })
    expect(res.headers.get('x-request-id')).toBe('req-from-client')
    const received = gateway.standIns['llm-router']?.received.at(-1)
    expect(received?.headers).toMatchObject({
      'x-request-id': 'req-from-client',
      traceparent,
      tracestate: 'vendor=1',
    })
  })

  test('without one, the gateway makes the id, and the service and the caller see the same', async () => {
    const gateway = await startGateway()
    const caller = withKey(gateway)
    const res = await fetch(`${gateway.url}/v1/models`, { headers: caller.headers })
    const id = res.headers.get('x-request-id')
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(gateway.standIns['llm-router']?.received.at(-1)?.headers['x-request-id']).toBe(id)
  })
})

/** A stand-in handler that writes one event, waits for `release`, then writes another and ends. */
function twoEvents(release: Promise<void>) {
  return async (_request: unknown, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    res.write('data: first\n\n')
    await release
    res.end('data: second\n\ndata: [DONE]\n\n')
  }
}

describe('streams and deadlines', () => {
  test('server-sent events pass through unbuffered: the first arrives while the service still holds the second', async () => {
    const gateway = await startGateway()
    const caller = withKey(gateway)
    const { promise: release, resolve } = Promise.withResolvers<void>()
    gateway.standIns['llm-router']?.answer(twoEvents(release))
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...caller.headers, 'content-type': 'application/json' },
      body: '{"model":"m","stream":true,"messages":[]}',
    })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    expect(decoder.decode((await reader.read()).value)).toBe('data: first\n\n')
    resolve()
    let rest = ''
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      rest += decoder.decode(chunk.value)
    expect(rest).toBe('data: second\n\ndata: [DONE]\n\n')
  })

  test('a slow answer past the upstream timeout is a 504; a stream is not cut by it', async () => {
    const timeoutMs = 300
    const gateway = await startGateway({ GATEWAY_UPSTREAM_TIMEOUT_MS: timeoutMs })
    const caller = withKey(gateway)
    gateway.standIns['llm-router']?.answer((_request, res) => {
      setTimeout(() => res.writeHead(200).end('{}'), timeoutMs * 4).unref()
    })
    const slow = await fetch(`${gateway.url}/v1/embeddings`, { method: 'POST', headers: caller.headers })
    expect(slow.status).toBe(504)
    expect((await jsonBody(slow)).error.code).toBe('GATEWAY_ERR_UPSTREAM_TIMEOUT')

    // Three events spread over twice the timeout all arrive.
    gateway.standIns['llm-router']?.answer(async (_request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      for (const n of [1, 2, 3]) {
        res.write(`data: ${n}\n\n`)
        await new Promise((resolve) => setTimeout(resolve, timeoutMs * 0.7))
      }
      res.end()
    })
    const stream = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: caller.headers,
    })
    expect(await stream.text()).toBe('data: 1\n\ndata: 2\n\ndata: 3\n\n')
  })

  test('a caller that leaves mid-stream closes the call to the service', async () => {
    const gateway = await startGateway()
    const caller = withKey(gateway)
    const { promise: serviceSawClose, resolve } = Promise.withResolvers<void>()
    gateway.standIns['llm-router']?.answer((_request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('data: first\n\n')
      res.on('close', () => resolve())
    })
    const controller = new AbortController()
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: caller.headers,
      signal: controller.signal,
    })
    await (res.body as ReadableStream<Uint8Array>).getReader().read()
    controller.abort()
    await expect(serviceSawClose).resolves.toBeUndefined()
  })

  test('a body over the limit is a 413, whether its length is declared or it comes chunked', async () => {
    const limit = 1_000
    const gateway = await startGatewayOverHttp({ GATEWAY_BODY_LIMIT_BYTES: limit })
    const caller = withKey(gateway)
    const declared = await fetch(`${gateway.url}/v1/embeddings`, {
      method: 'POST',
      headers: { ...caller.headers, 'content-type': 'application/json' },
      body: 'x'.repeat(limit + 1),
    })
    expect(declared.status).toBe(413)
    expect((await jsonBody(declared)).error.code).toBe('KIT_ERR_BODY_TOO_LARGE')

    const chunks = [Buffer.alloc(600, 'a'), Buffer.alloc(600, 'b')]
    const chunked = await fetch(`${gateway.url}/v1/embeddings`, {
      method: 'POST',
      headers: { ...caller.headers, 'content-type': 'application/json' },
      body: new ReadableStream({
        pull(controller) {
          const next = chunks.shift()
          if (next) controller.enqueue(next)
          else controller.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    expect(chunked.status).toBe(413)
    // At the limit exactly, a chunked body passes.
    const fits = await fetch(`${gateway.url}/v1/embeddings`, {
      method: 'POST',
      headers: { ...caller.headers, 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(Buffer.alloc(limit, 'c'))
          controller.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    expect(fits.status).toBe(200)
    expect((await jsonBody(fits)).body).toHaveLength(limit)
  })
})

describe('browser-facing headers', () => {
  test('security headers on every answer, errors included', async () => {
    const gateway = await startGateway()
    const caller = withKey(gateway)
    for (const headers of [caller.headers, {}]) {
      const res = await fetch(`${gateway.url}/v1/models`, { headers })
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'")
      expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/)
    }
  })

  test('CORS: a configured origin gets a preflight answer and readable headers; another origin gets none', async () => {
    const gateway = await startGateway({ GATEWAY_CORS_ORIGINS: ['https://app.example.com'] })
    const caller = withKey(gateway)
    const preflight = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization,content-type')
    const res = await fetch(`${gateway.url}/v1/models`, {
      headers: { ...caller.headers, origin: 'https://app.example.com' },
    })
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    expect(res.headers.get('access-control-expose-headers')).toContain('x-ratelimit-remaining')
    const stranger = await fetch(`${gateway.url}/v1/models`, {
      headers: { ...caller.headers, origin: 'https://evil.example.com' },
    })
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull()
  })

  test('POST /v1/files has the upload limit, every other route the body limit', async () => {
    const [bodyLimit, uploadLimit] = [1_000, 5_000]
    const gateway = await startGatewayOverHttp({
      GATEWAY_BODY_LIMIT_BYTES: bodyLimit,
      GATEWAY_UPLOAD_LIMIT_BYTES: uploadLimit,
    })
    const caller = withKey(gateway)
    const post = (path: string, bytes: number) =>
      fetch(`${gateway.url}${path}`, {
        method: 'POST',
        headers: { ...caller.headers, 'content-type': 'multipart/form-data; boundary=x' },
        body: 'u'.repeat(bytes),
      })
    const upload = await post('/v1/files', uploadLimit)
    expect(upload.status).toBe(200)
    expect((await jsonBody(upload)).body).toHaveLength(uploadLimit)
    const tooLarge = await post('/v1/files', uploadLimit + 1)
    expect(tooLarge.status).toBe(413)
    expect((await jsonBody(tooLarge)).error.code).toBe('KIT_ERR_BODY_TOO_LARGE')
    // Under /v1/files, and beside it, bodies are JSON: the body limit holds.
    for (const path of ['/v1/files/file-1', '/v1/vector_stores'])
      expect((await post(path, bodyLimit + 1)).status, path).toBe(413)
  })
})
