import { PassThrough } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** One Server-Sent Event. `data` that is not a string is sent as JSON; a string is sent as is. */
export interface ServerSentEvent {
  data: unknown
  event?: string
  id?: string
  /** Reconnection delay the client should use, in milliseconds. */
  retry?: number
}

/** Why a stream's `signal` aborted. */
export type StreamStopReason = 'shutdown' | 'disconnect'

export interface EventStream {
  /** Writes one event; a no-op once the stream is closed (the client may already be gone). */
  send(event: ServerSentEvent): void
  /** Ends the response cleanly. Idempotent. */
  close(): void
  /**
   * Aborts when the handler should stop producing: the server started shutting down (send the
   * last events, then `close()`; the kit waits up to the grace period) or the client went away.
   */
  readonly signal: AbortSignal
  /** Set once `signal` aborts. */
  readonly stopReason: StreamStopReason | null
  readonly closed: boolean
}

export interface EventStreamOptions {
  /** Extra response headers. */
  headers?: Record<string, string>
  /** Interval of keep-alive comments that stop proxies from timing the stream out, in ms. */
  keepAliveMs?: number
}

interface TrackedStream {
  stop(reason: StreamStopReason): void
  destroy(): void
  fail(body: unknown): void
  /** Resolves when the response is over (ended, or the connection is gone). */
  done: Promise<void>
}

/** The open streams of one server, drained by `app.close()`. */
export class StreamTracker {
  readonly #open = new Set<TrackedStream>()
  #stopping = false

  add(stream: TrackedStream): void {
    this.#open.add(stream)
    void stream.done.then(() => this.#open.delete(stream))
    // Opened while the server drains: finish at once rather than hold the shutdown up.
    if (this.#stopping) stream.stop('shutdown')
  }

  get size(): number {
    return this.#open.size
  }

  /** Asks every open stream to finish, waits up to `graceMs`, then destroys what is left. */
  async drain(graceMs: number): Promise<void> {
    this.#stopping = true
    const open = [...this.#open]
    for (const stream of open) stream.stop('shutdown')
    let timer: NodeJS.Timeout | undefined
    const graceOver = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs)
    })
    await Promise.race([Promise.all(open.map((s) => s.done)), graceOver])
    clearTimeout(timer)
    for (const stream of this.#open) stream.destroy()
  }
}

const kTracker = Symbol('switchyard.kit.stream-tracker')
const kStream = Symbol('switchyard.kit.event-stream')

/** Installs the tracker on the root; encapsulated child instances inherit it through their prototype. */
export function installStreamTracker(app: FastifyInstance): StreamTracker {
  const tracker = new StreamTracker()
  ;(app as unknown as Record<symbol, unknown>)[kTracker] = tracker
  return tracker
}

/**
 * Starts a Server-Sent Events response that the kit tracks, so shutdown can let it finish:
 *
 *     const stream = openEventStream(request, reply)
 *     for await (const chunk of upstream({ signal: stream.signal })) stream.send({ data: chunk })
 *     stream.send({ data: '[DONE]' })
 *     stream.close()
 *
 * If the handler throws after the stream opened, the error handler sends the error body as a
 * last `data:` event and ends the stream.
 */
export function openEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  options: EventStreamOptions = {},
): EventStream {
  const tracker = (request.server as unknown as Record<symbol, unknown>)[kTracker]
  if (!(tracker instanceof StreamTracker)) {
    throw new Error('openEventStream needs a server made by createServer')
  }
  const body = new PassThrough()
  const controller = new AbortController()
  let stopReason: StreamStopReason | null = null
  let closed = false
  let keepAlive: NodeJS.Timeout | undefined
  let finished!: () => void
  const done = new Promise<void>((resolve) => {
    finished = resolve
  })

  const stop = (reason: StreamStopReason) => {
    if (stopReason !== null) return
    stopReason = reason
    controller.abort(new DOMException(`event stream stopped: ${reason}`, 'AbortError'))
  }
  const close = () => {
    if (closed) return
    closed = true
    clearInterval(keepAlive)
    body.end()
  }
  const write = (text: string) => {
    if (!closed) body.write(text)
  }

  // 'close' fires when the response is over; not ended by this side means the client or a destroy
  // cut it. writableFinished would also wait for the socket to flush, which an in-process call
  // (inject's socket) never does: every in-process stream would count as a disconnect.
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) stop('disconnect')
    closed = true
    clearInterval(keepAlive)
    finished()
  })

  keepAlive = setInterval(() => write(': keep-alive\n\n'), options.keepAliveMs ?? 15_000)
  keepAlive.unref()

  const stream: EventStream = {
    send(event) {
      write(formatEvent(event))
    },
    close,
    signal: controller.signal,
    get stopReason() {
      return stopReason
    },
    get closed() {
      return closed
    },
  }
  const tracked: TrackedStream = {
    stop,
    destroy: () => reply.raw.destroy(),
    fail(errorBody) {
      write(formatEvent({ data: errorBody }))
      close()
    },
    done,
  }
  ;(request as unknown as Record<symbol, unknown>)[kStream] = tracked

  reply
    .code(200)
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache, no-transform')
    .header('x-accel-buffering', 'no')
  if (options.headers) reply.headers(options.headers)
  reply.send(body)
  // A first comment gets the headers out now, before the handler has anything to say.
  body.write(': open\n\n')
  tracker.add(tracked)
  return stream
}

/** Ends the request's open event stream with `body` as its last event; false if it has none. */
export function failOpenStream(request: FastifyRequest, body: unknown): boolean {
  const tracked = (request as unknown as Record<symbol, TrackedStream | undefined>)[kStream]
  if (tracked === undefined) return false
  tracked.fail(body)
  return true
}

function formatEvent(event: ServerSentEvent): string {
  let frame = ''
  if (event.id !== undefined) frame += `id: ${singleLine(event.id, 'id')}\n`
  if (event.event !== undefined) frame += `event: ${singleLine(event.event, 'event')}\n`
  if (event.retry !== undefined) frame += `retry: ${Math.max(0, Math.trunc(event.retry))}\n`
  const text = typeof event.data === 'string' ? event.data : JSON.stringify(event.data)
  for (const line of text.split(/\r\n|\r|\n/)) frame += `data: ${line}\n`
  return `${frame}\n`
}

function singleLine(value: string, field: string): string {
  if (/[\r\n]/.test(value)) throw new TypeError(`SSE ${field} must not contain a line break`)
  return value
}
