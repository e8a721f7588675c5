// One HTTP exchange with an upstream over undici's dispatch API. The answer's chunks are handed
// over as they arrive: no Readable stream and no body mixin per call, as `request()` builds them
// (what that saved: bench/router/README.md, "The fast path").
import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'

export interface ExchangeRequest {
  origin: string
  path: string
  method: 'GET' | 'POST'
  headers: Record<string, string>
  body: string | null
}

export interface ExchangeHead {
  statusCode: number
  headers: IncomingHttpHeaders
}

/**
 * Sends the request and resolves with the whole answer as UTF-8 text. Rejects with the network
 * error, or with the signal's reason once it aborts.
 */
export function exchangeText(
  dispatcher: Dispatcher,
  request: ExchangeRequest,
  signal: AbortSignal,
): Promise<ExchangeHead & { text: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let head: ExchangeHead = { statusCode: 0, headers: {} }
    dispatchWithSignal(dispatcher, request, signal, {
      onStart(statusCode, headers) {
        head = { statusCode, headers }
      },
      onData(chunk) {
        chunks.push(chunk)
        return true
      },
      onEnd() {
        const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)
        resolve({ ...head, text: body.toString('utf8') })
      },
      onError: reject,
    })
  })
}

/**
 * Sends the request and resolves when the answer's head arrives, with its body as chunks. Reading
 * the body paces the upstream (the connection pauses while chunks wait unread); leaving the
 * iteration early aborts the exchange so the connection is not kept for an unread body.
 */
export function exchangeStream(
  dispatcher: Dispatcher,
  request: ExchangeRequest,
  signal: AbortSignal,
): Promise<ExchangeHead & { body: AsyncIterableIterator<Buffer> }> {
  return new Promise((resolve, reject) => {
    let body: BodyChunks | undefined
    dispatchWithSignal(dispatcher, request, signal, {
      onStart(statusCode, headers, controller) {
        body = new BodyChunks(controller)
        resolve({ statusCode, headers, body })
      },
      onData: (chunk) => body?.push(chunk) ?? true,
      onEnd: () => body?.end(),
      onError(error) {
        if (body === undefined) reject(error)
        else body.fail(error)
      },
    })
  })
}

interface ExchangeEvents {
  onStart(statusCode: number, headers: IncomingHttpHeaders, controller: Dispatcher.DispatchController): void
  /** False asks for a pause until the reader catches up. */
  onData(chunk: Buffer): boolean
  onEnd(): void
  onError(error: unknown): void
}

/** Dispatches with one abort listener on `signal`, removed when the exchange is over. */
function dispatchWithSignal(
  dispatcher: Dispatcher,
  request: ExchangeRequest,
  signal: AbortSignal,
  events: ExchangeEvents,
): void {
  if (signal.aborted) {
    events.onError(signal.reason)
    return
  }
  let controller: Dispatcher.DispatchController | undefined
  let over = false
  const onAbort = () => controller?.abort(signal.reason)
  const finish = () => {
    over = true
    signal.removeEventListener('abort', onAbort)
  }
  signal.addEventListener('abort', onAbort, { once: true })
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c
      if (signal.aborted) c.abort(signal.reason)
    },
    onResponseStart(c, statusCode, headers) {
      events.onStart(statusCode, headers, c)
    },
    onResponseData(c, chunk) {
      if (!events.onData(chunk)) c.pause()
    },
    onResponseEnd() {
      finish()
      events.onEnd()
    },
    onResponseError(_c, error) {
      if (over) return
      finish()
      events.onError(signal.aborted ? signal.reason : error)
    },
  }
  try {
    dispatcher.dispatch(
      {
        origin: request.origin,
        path: request.path,
        method: request.method,
        headers: request.headers,
        body: request.body,
      },
      handler,
    )
  } catch (error) {
    finish()
    events.onError(error)
  }
}

/** How many unread chunks make the upstream pause, and how few let it go on. */
const highWater = 16
const lowWater = 4

/** The body of a streamed answer: chunks queue until read; a reader waits for the next. */
class BodyChunks implements AsyncIterableIterator<Buffer> {
  readonly #controller: Dispatcher.DispatchController
  #queue: Buffer[] = []
  #ended = false
  #error: unknown
  #waiting: { resolve(read: IteratorResult<Buffer>): void; reject(error: unknown): void } | undefined

  constructor(controller: Dispatcher.DispatchController) {
    this.#controller = controller
  }

  push(chunk: Buffer): boolean {
    const waiting = this.#waiting
    if (waiting !== undefined) {
      this.#waiting = undefined
      waiting.resolve({ value: chunk, done: false })
      return true
    }
    this.#queue.push(chunk)
    return this.#queue.length < highWater
  }

  end(): void {
    this.#ended = true
    const waiting = this.#waiting
    this.#waiting = undefined
    waiting?.resolve({ value: undefined, done: true })
  }

  fail(error: unknown): void {
    if (this.#ended) return
    this.#error ??= error
    const waiting = this.#waiting
    this.#waiting = undefined
    waiting?.reject(error)
  }

  next(): Promise<IteratorResult<Buffer>> {
    const chunk = this.#queue.shift()
    if (chunk !== undefined) {
      if (this.#controller.paused && this.#queue.length <= lowWater) this.#controller.resume()
      return Promise.resolve({ value: chunk, done: false })
    }
    if (this.#error !== undefined) return Promise.reject(this.#error)
    if (this.#ended) return Promise.resolve({ value: undefined, done: true })
    if (this.#controller.paused) this.#controller.resume()
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject }
    })
  }

  /** The reader stopped early: the rest of the answer is not wanted. */
  return(): Promise<IteratorResult<Buffer>> {
    if (!this.#ended && this.#error === undefined) {
      this.#error = new Error('the answer was not read to the end')
      this.#controller.abort(this.#error as Error)
    }
    this.#queue = []
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    return this
  }
}
