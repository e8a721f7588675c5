// SSE passed through on the fast path: which of the upstream's events go on (a byte scan), and
// the raw response they are written to.
import { once } from 'node:events'
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { FastifyReply } from 'fastify'

// The byte scan of an OpenAI-compatible SSE stream passed through to the caller: which events go
// on, found without parsing any of them. Three kinds are taken out: comments, `[DONE]` and the
// usage-only chunk. Events that carry a usage object are kept raw, to be parsed after the response
// (usage is read then, off the request path); an in-band error event ends the scan.
const DATA = Buffer.from('data:')
const DONE = Buffer.from('[DONE]')
const LF2 = Buffer.from('\n\n')
const USAGE_OBJECT = Buffer.from('"usage":{')
const USAGE_OBJECT_SPACED = Buffer.from('"usage": {')
const EMPTY_CHOICES = Buffer.from('"choices":[]')
const ERROR_KEY = Buffer.from('{"error"')
const SPACE = 0x20
const COLON = 0x3a

export class SseEventFilter {
  /** Events that carry a usage object, raw (the JSON after `data:`), in stream order. */
  readonly usageEvents: Buffer[] = []
  readonly #errorOf: (json: Buffer) => Error
  #done = false

  /** `errorOf` makes what an in-band error event (its JSON) is thrown as. */
  constructor(errorOf: (json: Buffer) => Error) {
    this.#errorOf = errorOf
  }

  /** `data: [DONE]` was seen: the stream is over. */
  get done(): boolean {
    return this.#done
  }

  /**
   * The forwardable bytes of `events` (whole events, each ending in a blank line), or undefined
   * when none are left. Throws the in-band error event's error.
   */
  filter(events: Buffer): Buffer | undefined {
    let parts: Buffer[] | undefined
    let keepFrom = 0
    let start = 0
    // One scan of the whole read for a usage object; most reads have none and skip the per-event look.
    let usageAt = findUsage(events, 0)
    while (start < events.length) {
      const boundary = events.indexOf(LF2, start)
      const end = boundary === -1 ? events.length : boundary
      const next = end + 2
      const hasUsage = usageAt !== -1 && usageAt < end
      if (!this.#keep(events, start, end, hasUsage)) {
        if (start > keepFrom) {
          parts ??= []
          parts.push(events.subarray(keepFrom, start))
        }
        keepFrom = next
      }
      if (hasUsage) usageAt = findUsage(events, next)
      start = next
    }
    if (keepFrom === 0) return events
    if (keepFrom < events.length) {
      parts ??= []
      parts.push(events.subarray(keepFrom))
    }
    if (parts === undefined) return undefined
    return parts.length === 1 ? parts[0] : Buffer.concat(parts)
  }

  /** Whether the event in [start, end) goes to the caller; records [DONE] and usage events. */
  #keep(events: Buffer, start: number, end: number, hasUsage: boolean): boolean {
    if (end === start || events[start] === COLON) return false
    if (!startsWith(events, DATA, start)) return true
    let at = start + DATA.length
    if (events[at] === SPACE) at++
    if (startsWith(events, DONE, at)) {
      this.#done = true
      return false
    }
    if (startsWith(events, ERROR_KEY, at)) throw this.#errorOf(events.subarray(at, end))
    if (!hasUsage) return true
    const event = events.subarray(at, end)
    this.usageEvents.push(event)
    // The usage-only chunk is the router's to send; a usage riding on a content chunk stays where it is.
    return event.indexOf(EMPTY_CHOICES) === -1
  }
}

/** Where the next `"usage":{` (or `"usage": {`) starts at or after `from`, or -1. */
function findUsage(buffer: Buffer, from: number): number {
  const compact = buffer.indexOf(USAGE_OBJECT, from)
  if (compact !== -1) return compact
  return buffer.indexOf(USAGE_OBJECT_SPACED, from)
}

function startsWith(buffer: Buffer, prefix: Buffer, at: number): boolean {
  if (at + prefix.length > buffer.length) return false
  for (let i = 0; i < prefix.length; i++) if (buffer[at + i] !== prefix[i]) return false
  return true
}

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
