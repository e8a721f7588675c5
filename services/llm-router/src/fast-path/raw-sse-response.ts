import { once } from 'node:events'
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { FastifyReply } from 'fastify'

/**
 * An SSE answer written on the raw response, not through Fastify's reply pipeline (a PassThrough
 * piped to the socket). The kit's onSend/onResponse hooks do not run for it;
 * llm_request_duration_seconds covers these requests.
 *
 * The first event waits for the end of this turn: when the whole answer is already here (a short
 * reply, a fast upstream), headers, events and the end leave in one write instead of two. (Not
 * res.cork(): an end() while corked loses its data.)
 */
export class RawSseResponse {
  readonly #out: ServerResponse
  #held: Uint8Array | undefined
  readonly #flush: NodeJS.Immediate

  /** Hijacks `reply` and writes the head: the headers set so far, the SSE ones, then `headers`. */
  constructor(reply: FastifyReply, headers: OutgoingHttpHeaders, first: Uint8Array | undefined) {
    reply.hijack()
    this.#out = reply.raw
    this.#out.writeHead(200, {
      ...(reply.getHeaders() as OutgoingHttpHeaders),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      ...headers,
    })
    this.#held = first
    this.#flush = setImmediate(() => this.#release())
  }

  /** Writes events; false when the socket's buffer is full (then await `drained`). */
  write(bytes: Uint8Array): boolean {
    this.#release()
    return this.#out.write(bytes)
  }

  /** Resolves once the socket took what was buffered; rejects when `signal` aborts first. */
  drained(signal: AbortSignal): Promise<unknown> {
    return once(this.#out, 'drain', { signal })
  }

  /** Writes `tail` (after anything held) and ends the response. */
  end(tail: string | Uint8Array): void {
    clearImmediate(this.#flush)
    const held = this.#held
    this.#held = undefined
    if (held === undefined) this.#out.end(tail)
    else this.#out.end(Buffer.concat([held, typeof tail === 'string' ? Buffer.from(tail) : tail]))
  }

  /** The caller left: nothing more is written. */
  destroy(): void {
    clearImmediate(this.#flush)
    this.#held = undefined
    this.#out.destroy()
  }

  #release(): void {
    const held = this.#held
    if (held === undefined) return
    this.#held = undefined
    this.#out.write(held)
  }
}
