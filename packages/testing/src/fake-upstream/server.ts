// The HTTP core shared by both fakes: plain node:http (no framework on the benchmark's baseline
// path), a route table, the request log, and the pacing/failure machinery of `FakeBehavior`.
import { once } from 'node:events'
import {
  createServer,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import type { FakeBehavior } from './behavior.ts'

/** One request as the fake received it; the fields after `body` change while it is in flight. */
export interface FakeRequestRecord {
  method: string
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  path: string
  headers: IncomingHttpHeaders
  /** Parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown
  /** `Date.now()` when the request arrived. */
  receivedAt: number
  /** Status sent, once headers are out. */
  status: number | undefined
  /** The response was sent completely. */
  completed: boolean
  /** The client went away before the response was complete (timeout, AbortSignal, closed socket). */
  aborted: boolean
  /** The fake destroyed the connection on purpose (`dropMidStream`). */
  dropped: boolean
}

/** One request/response pair while a handler works on it. */
export interface Exchange {
  readonly res: ServerResponse
  readonly record: FakeRequestRecord
  /** Parsed JSON body, or undefined (empty or not JSON); set before the handler runs. */
  body: unknown
  /** `performance.now()` at arrival, for durations. */
  readonly startedAt: number
  /** Aborts when the connection closes (response done, or the client left): ends sleeps and waits. */
  readonly closed: AbortSignal
}

export type Handler = (ex: Exchange) => void | Promise<void>

/** Routes keyed by `'<METHOD> <path>'`. */
export type Routes = Map<string, Handler>

/** Writes an API-shaped error: `(ex, status, message, code, param, extra headers)`. */
export type ErrorWriter = (
  ex: Exchange,
  status: number,
  message: string,
  code: string | null,
  param: string | null,
  headers?: OutgoingHttpHeaders,
) => void

export interface FakeServerOptions {
  /** Interface to bind; default 127.0.0.1. */
  host?: string
  /** Port; default 0 (a free one). */
  port?: number
  /** Keep the request log; default true. Turn off for long benchmark runs. */
  record?: boolean
}

export interface FakeServerCore {
  origin: string
  port: number
  requests: FakeRequestRecord[]
  idle(): Promise<void>
  close(): Promise<void>
}

export async function startServer(
  routes: Routes,
  notFound: Handler,
  options: FakeServerOptions,
): Promise<FakeServerCore> {
  const requests: FakeRequestRecord[] = []
  const keep = options.record !== false
  let inflight = 0
  let idleWaiters: (() => void)[] = []

  const server = createServer((req, res) => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    const record: FakeRequestRecord = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body: undefined,
      receivedAt: Date.now(),
      status: undefined,
      completed: false,
      aborted: false,
      dropped: false,
    }
    if (keep) requests.push(record)
    inflight++
    const closing = new AbortController()
    const ex: Exchange = {
      res,
      record,
      body: undefined,
      startedAt: performance.now(),
      closed: closing.signal,
    }
    res.on('close', () => {
      closing.abort()
      record.completed = res.writableFinished
      if (!record.completed && !record.dropped) record.aborted = true
      if (--inflight === 0 && idleWaiters.length > 0) {
        const waiters = idleWaiters
        idleWaiters = []
        for (const w of waiters) w()
      }
    })
    const handler = routes.get(`${record.method} ${path}`) ?? notFound
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (chunks.length > 0) {
        const text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString()
        try {
          ex.body = JSON.parse(text)
          record.body = ex.body
        } catch {
          record.body = text
        }
      }
      run(handler, ex)
    })
  })
  server.keepAliveTimeout = 30_000

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const { port, address } = server.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address

  return {
    origin: `http://${host}:${port}`,
    port,
    requests,
    idle: () => (inflight === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve))),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Keep-alive and hanging connections would hold close() forever.
        server.closeAllConnections()
      }),
  }
}

function run(handler: Handler, ex: Exchange): void {
  try {
    const done = handler(ex)
    if (done) done.catch((err: unknown) => crash(ex, err))
  } catch (err) {
    crash(ex, err)
  }
}

function crash(ex: Exchange, err: unknown): void {
  if (ex.res.headersSent) {
    ex.res.destroy()
    return
  }
  sendBody(ex, 500, JSON_TYPE, JSON.stringify({ error: { message: `fake upstream bug: ${String(err)}` } }))
}

export const JSON_TYPE = 'application/json'

export function writeHead(ex: Exchange, status: number, headers: OutgoingHttpHeaders): void {
  ex.record.status = status
  ex.res.writeHead(status, headers)
}

/** A complete response in one write. */
export function sendBody(
  ex: Exchange,
  status: number,
  contentType: string,
  body: string,
  headers?: OutgoingHttpHeaders,
): void {
  writeHead(ex, status, {
    ...headers,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
  })
  ex.res.end(body)
}

/** Resolves true after `ms`, or false as soon as the connection closes. */
export function sleep(ex: Exchange, ms: number): Promise<boolean> {
  return delay(ms, true, { signal: ex.closed }).catch(() => false)
}

/** Resolves when the connection closes: how a hanging fake waits for the client to give up. */
export async function untilClosed(ex: Exchange): Promise<void> {
  if (!ex.closed.aborted) await once(ex.closed, 'abort')
}

/**
 * Applies the request-level part of a behavior: latency, hang, context-length and status
 * failures. Returns false when it has answered (or the client left) and the handler must stop.
 */
export async function prelude(
  ex: Exchange,
  b: FakeBehavior,
  promptTokens: number,
  model: string,
  writeError: ErrorWriter,
): Promise<boolean> {
  if (b.latencyMs && !(await sleep(ex, b.latencyMs))) return false
  if (b.hang) {
    await untilClosed(ex)
    return false
  }
  const window = b.contextWindow
  if (b.contextLengthExceeded || (window !== undefined && promptTokens > window)) {
    const max = window ?? Math.max(0, promptTokens - 1)
    writeError(
      ex,
      400,
      `This model's maximum context length is ${max} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`,
      'context_length_exceeded',
      'messages',
    )
    return false
  }
  const status = b.status
  if (status !== undefined && status >= 400) {
    const retryAfter = b.retryAfterSeconds ?? (status === 429 ? 1 : undefined)
    const headers = retryAfter === undefined ? undefined : { 'retry-after': String(retryAfter) }
    if (status === 429) {
      const message = b.message ?? `Rate limit reached for ${model}. Please try again in ${retryAfter}s.`
      writeError(ex, status, message, 'rate_limit_exceeded', null, headers)
    } else {
      const message =
        b.message ??
        (status >= 500 ? 'The server had an error while processing your request.' : 'fake upstream error')
      writeError(ex, status, message, null, null, headers)
    }
    return false
  }
  return true
}

/** One streamed unit (an SSE event or an NDJSON line) and the tokens it carries, for pacing. */
export interface Frame {
  /** The bytes to send; a function is called at send time (e.g. for measured durations). */
  data: string | (() => string)
  tokens: number
}

const text = (f: Frame): string => (typeof f.data === 'string' ? f.data : f.data())

/** ms from the first token until the last frame of `tokens` tokens is due. */
function generationMs(b: FakeBehavior, tokens: number): number {
  return b.tokensPerSecond ? (tokens * 1000) / b.tokensPerSecond : 0
}

/**
 * Streams frames with the behavior's pacing: the first after `ttftMs`, each next one when the
 * tokens before it have been "generated" at `tokensPerSecond`; frames due together share a write.
 * `dropMidStream`/`hangAfterChunks` stop after that many frames.
 */
export async function sendStream(
  ex: Exchange,
  b: FakeBehavior,
  headers: OutgoingHttpHeaders,
  frames: readonly Frame[],
): Promise<void> {
  const { res } = ex
  writeHead(ex, 200, headers)
  const stopAt = Math.min(
    b.dropMidStream ?? Number.POSITIVE_INFINITY,
    b.hangAfterChunks ?? Number.POSITIVE_INFINITY,
  )
  const n = Math.min(frames.length, stopAt)
  const ttft = b.ttftMs ?? 0
  let out = ''
  if (ttft === 0 && !b.tokensPerSecond) {
    for (let i = 0; i < n; i++) out += text(frames[i] as Frame)
  } else {
    res.flushHeaders()
    const t0 = performance.now()
    let due = ttft
    for (let i = 0; i < n; i++) {
      const frame = frames[i] as Frame
      const wait = due - (performance.now() - t0)
      if (wait >= 1) {
        if (out) res.write(out)
        out = ''
        if (!(await sleep(ex, wait))) return
      }
      out += text(frame)
      due += generationMs(b, frame.tokens)
    }
  }
  if (n === frames.length) {
    res.end(out)
    return
  }
  await stopEarly(ex, b, out)
}

/**
 * A non-streamed answer that takes as long as its stream would have (`ttftMs` + generation).
 * `dropMidStream` sends half of the body then destroys the socket; `hangAfterChunks` sends the
 * headers and stalls.
 */
export async function sendGenerated(
  ex: Exchange,
  b: FakeBehavior,
  contentType: string,
  tokens: number,
  body: () => string,
): Promise<void> {
  const wait = (b.ttftMs ?? 0) + generationMs(b, tokens)
  if (wait > 0 && !(await sleep(ex, wait))) return
  if (b.dropMidStream === undefined && b.hangAfterChunks === undefined) {
    sendBody(ex, 200, contentType, body())
    return
  }
  const full = body()
  writeHead(ex, 200, { 'content-type': contentType, 'content-length': Buffer.byteLength(full) })
  await stopEarly(ex, b, b.dropMidStream === undefined ? '' : full.slice(0, full.length >> 1))
}

async function stopEarly(ex: Exchange, b: FakeBehavior, out: string): Promise<void> {
  const { res } = ex
  if (out) res.write(out)
  else res.flushHeaders()
  const drop =
    b.dropMidStream !== undefined && b.dropMidStream <= (b.hangAfterChunks ?? Number.POSITIVE_INFINITY)
  if (!drop) {
    await untilClosed(ex)
    return
  }
  ex.record.dropped = true
  const socket = res.socket
  if (!socket) {
    res.destroy()
    return
  }
  // Socket writes are ordered: this callback runs once what came before has reached the OS.
  socket.write('', () => socket.destroy())
}
